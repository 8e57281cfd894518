#pragma once
// Text a user may give a run, a spec field, a metric key or a file, each holding characters that
// mean something to HTML, Markdown, LaTeX, CSV, Qt's rich text, mnemonics or QString::arg(); and
// what a widget shows for a text, worked out the way Qt does it, so that a view suite can check
// that such text shows exactly as written. Shared by the view suites.
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QTextDocument>

namespace distillery::testing {

struct HostileText {
    const char* tag;   // the data row's name
    QString text;
};

inline QList<HostileText> hostileTexts() {
    return {
        {"script", QStringLiteral("<script>alert(1)</script>")},
        {"markup", QStringLiteral("<b>bold</b> & <img src=x onerror=alert(1)> &amp; &lt;i&gt; <!-- c -->")},
        {"quotes-pipes-commas", QStringLiteral("a|b \\| c, \"double\" 'single', x")},
        {"markdown-latex", QStringLiteral("100% _x_ $y$ \\z {w} #h ^c ~t *s* `code` [l](u) -- '' ,, !`")},
        {"line-breaks-tabs", QStringLiteral("line1\nline2\r\nline3\ttab\rline4")},
        {"carriage-return", QStringLiteral("before\rafter")},
        {"non-ascii", QStringLiteral("é 中文 😀 — ± →")},
        {"placeholders", QStringLiteral("%1 %2 %3 [*] &&x &y")},
    };
}

// Every hostile text in one, for the places a test checks once.
inline QString allHostileText() {
    QStringList parts;
    for (const HostileText& hostile : hostileTexts()) parts.append(hostile.text);
    return parts.join(QLatin1Char(' '));
}

// A file name (no '/') with the same characters, a line break and a tab included.
inline QString hostileFileName(const QString& suffix) {
    return QStringLiteral("st<b>&amp;\"'|%1_$\\{}#^~*`[*] é中😀,\t\nx.") + suffix;
}

// LF for each line break (CRLF, CR or LF): how HTML, Markdown and a QTextDocument give lines back.
inline QString lineBreaksAsLf(QString text) {
    text.replace(QLatin1String("\r\n"), QLatin1String("\n"));
    text.replace(QLatin1Char('\r'), QLatin1Char('\n'));
    return text;
}

// A spec as a user might write it, every string field holding hostile text.
inline std::string hostileSpecJson(const QString& name, int seed, const QString& checkpoint, const QString& dataRoot) {
    const QJsonObject spec{
        {QStringLiteral("name"), name},
        {QStringLiteral("seed"), seed},
        {QStringLiteral("method"), QJsonObject{{QStringLiteral("name"), QStringLiteral("kd")}}},
        {QStringLiteral("student"), QJsonObject{{QStringLiteral("model"), QStringLiteral("resnet8")}}},
        {QStringLiteral("teacher"), QJsonObject{{QStringLiteral("checkpoint"), checkpoint}}},
        {QStringLiteral("data"),
         QJsonObject{{QStringLiteral("name"), QStringLiteral("fashion-mnist")}, {QStringLiteral("root"), dataRoot}}}};
    return QJsonDocument(spec).toJson(QJsonDocument::Compact).toStdString();
}

// What a QLabel (in this format) or a tool tip (Qt::AutoText) shows: Qt takes the text for HTML
// when the format says so or, in AutoText, when Qt::mightBeRichText() does.
inline QString shownText(const QString& text, Qt::TextFormat format = Qt::AutoText) {
    const bool rich = format == Qt::RichText || (format == Qt::AutoText && Qt::mightBeRichText(text));
    if (!rich) return text;
    QTextDocument document;
    document.setHtml(text);
    return document.toPlainText();
}

// What an action, button, group box or tab shows: "&&" is "&", "&x" underlines x.
inline QString shownMnemonicText(const QString& text) {
    QString shown;
    for (int i = 0; i < text.size(); ++i) {
        if (text[i] == QLatin1Char('&') && i + 1 < text.size()) ++i;
        shown += text[i];
    }
    return shown;
}

}  // namespace distillery::testing
