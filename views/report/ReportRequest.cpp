#include "ReportRequest.h"

#include <QCoreApplication>
#include <QFileInfo>

namespace distillery::views {

QString reportFormatName(ReportFormat format) {
    switch (format) {
    case ReportFormat::Html: return QStringLiteral("html");
    case ReportFormat::Markdown: return QStringLiteral("md");
    case ReportFormat::Pdf: return QStringLiteral("pdf");
    case ReportFormat::Csv: return QStringLiteral("csv");
    case ReportFormat::Latex: return QStringLiteral("latex");
    }
    return {};
}

std::optional<ReportFormat> reportFormatFromName(const QString& name) {
    const QString lower = name.trimmed().toLower();
    if (lower == QLatin1String("html") || lower == QLatin1String("htm")) return ReportFormat::Html;
    if (lower == QLatin1String("md") || lower == QLatin1String("markdown")) return ReportFormat::Markdown;
    if (lower == QLatin1String("pdf")) return ReportFormat::Pdf;
    if (lower == QLatin1String("csv")) return ReportFormat::Csv;
    if (lower == QLatin1String("latex") || lower == QLatin1String("tex")) return ReportFormat::Latex;
    return std::nullopt;
}

std::optional<ReportFormat> reportFormatFromFileName(const QString& fileName) {
    const QString suffix = QFileInfo(fileName).suffix();
    if (suffix.isEmpty()) return std::nullopt;
    return reportFormatFromName(suffix);
}

QString reportFormatSuffix(ReportFormat format) {
    return format == ReportFormat::Latex ? QStringLiteral("tex") : reportFormatName(format);
}

QString reportFormatDisplayName(ReportFormat format) {
    switch (format) {
    case ReportFormat::Html: return QCoreApplication::translate("ReportFormat", "HTML (one self-contained file)");
    case ReportFormat::Markdown: return QCoreApplication::translate("ReportFormat", "Markdown (plots as PNG files)");
    case ReportFormat::Pdf: return QCoreApplication::translate("ReportFormat", "PDF (A4)");
    case ReportFormat::Csv: return QCoreApplication::translate("ReportFormat", "CSV (every metric point)");
    case ReportFormat::Latex: return QCoreApplication::translate("ReportFormat", "LaTeX (grouped results table)");
    }
    return {};
}

QList<ReportFormat> allReportFormats() {
    return {ReportFormat::Html, ReportFormat::Markdown, ReportFormat::Pdf, ReportFormat::Csv, ReportFormat::Latex};
}

}  // namespace distillery::views
