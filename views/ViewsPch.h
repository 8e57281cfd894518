#pragma once
// Precompiled for every translation unit of distillery_views and the GUI test suites that reuse it:
// the Qt classes most of them include, QCustomPlot (which pulls in most of QtGui, QtWidgets and
// QtPrintSupport) and nlohmann/json (through the spec headers). Each of these costs seconds per
// translation unit when parsed; the precompiled header is parsed once.
#include <QAbstractTableModel>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHash>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QList>
#include <QMessageBox>
#include <QObject>
#include <QPainter>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QString>
#include <QStringList>
#include <QTableView>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <QWidget>

#include <nlohmann/json.hpp>
#include <qcustomplot.h>
