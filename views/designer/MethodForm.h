#pragma once
// The parameters of one distillation method, generated from its declaration in spec::methodCatalog():
// a number becomes a spin box with the declared range and default, a choice a combo box, a list of
// names (multipath's paths) a comma-separated line, a list of numbers another. Each field shows its
// help text (tooltip and a small line) and an error line under it. Number and choice parameters can be
// swept (SweepableField): their sweeps are the method's own, rebuilt with its fields.
#include <nlohmann/json.hpp>

#include <QHash>
#include <QStringList>
#include <QWidget>

class QFormLayout;
class QLabel;

namespace distillery::spec {
struct MethodDecl;
struct ParamDecl;
}

namespace distillery::views {

class ErrorLabel;
class SweepableField;

class MethodForm : public QWidget {
    Q_OBJECT
public:
    explicit MethodForm(QWidget* parent = nullptr);

    // Rebuilds the fields for the method, each at its declared default. An unknown name leaves no fields.
    void setMethod(const QString& name);
    QString method() const { return method_; }
    QStringList parameterNames() const { return order_; }

    // The parameters as the spec's method object holds them, the name left out: only those that differ
    // from their defaults. A list item that is not a number stays text, so the spec parser names it.
    nlohmann::json changedValues() const;
    // Fills the fields from a spec's method object (its "name" ignored); fields it does not name go
    // back to their defaults. Returns the keys it could not show (unknown parameters, wrong types).
    QStringList setValues(const nlohmann::json& methodObject);

    // The swept parameters' grid values, by parameter name ({"T": [2, 4]}).
    nlohmann::json sweeps() const;
    // Sweeps those parameters (each from its grid value) and no others; returns those it could not
    // show (not a sweepable parameter of this method, a value its sweep editor cannot hold).
    QStringList setSweeps(const nlohmann::json& sweeps);
    SweepableField* sweepField(const QString& parameter) const;

    QWidget* editor(const QString& parameter) const;
    QString helpText(const QString& parameter) const;
    void setFieldError(const QString& parameter, const QString& message);
    QString fieldError(const QString& parameter) const;
    void clearErrors();

signals:
    // A field was changed by the user (not by setMethod or setValues).
    void edited(const QString& parameter);
    // The user turned a parameter's sweep on or off.
    void sweepToggled(const QString& parameter);

private:
    struct Field {
        const spec::ParamDecl* decl = nullptr;
        QWidget* editor = nullptr;
        SweepableField* sweep = nullptr;   // null for lists of names or numbers
        QLabel* help = nullptr;
        ErrorLabel* error = nullptr;
    };
    QWidget* createEditor(const spec::ParamDecl& decl);
    nlohmann::json valueOf(const Field& field) const;
    bool setValue(const Field& field, const nlohmann::json& value);
    void resetToDefault(const Field& field);
    void clearFields();

    QFormLayout* layout_;
    QLabel* summary_;
    QString method_;
    QStringList order_;
    QHash<QString, Field> fields_;
    bool filling_ = false;   // setMethod/setValues are not user edits
};

}  // namespace distillery::views
