#pragma once
// A prepared SQLite statement with bound parameters; the store's only way to run SQL.
#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace distillery::store {

class Statement {
public:
    Statement(sqlite3* db, const char* sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, const std::string& value);
    Statement& bind(int index, std::nullopt_t);
    template <typename T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, std::nullopt);
    }
    // Column `column` of `row`'s current row as it is, type and all: copies rows between stores.
    Statement& bindColumn(int index, const Statement& row, int column);

    bool step();          // true while a row is available; throws StoreError on failure
    void run();           // step() once, for statements without result rows
    void reset();         // for re-use with new bindings

    int64_t int64(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    bool isNull(int column) const;
    std::optional<double> optionalReal(int column) const;
    std::optional<int64_t> optionalInt64(int column) const;

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// Executes SQL without parameters (schema, pragmas, transactions).
void execute(sqlite3* db, const char* sql);

// BEGIN IMMEDIATE … COMMIT; rolls back when destroyed without commit().
class Transaction {
public:
    explicit Transaction(sqlite3* db);
    ~Transaction();
    void commit();

private:
    sqlite3* db_;
    bool done_ = false;
};

}  // namespace distillery::store
