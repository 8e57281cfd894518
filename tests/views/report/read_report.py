#!/usr/bin/env python3
"""Reads a report file with Python's own parsers, independently of the C++ code that wrote it, and
prints what a reader gets as JSON (ASCII, so that any byte survives the trip to the test):

  read_report.py html FILE   HTML (Distillery's, or cmark-gfm's rendering of its Markdown), parsed
                             with html.parser: every start tag and attribute, the text of the title,
                             headings and paragraphs, and each table's rows of cell texts under the
                             heading before it. Entities are decoded; <br> counts as a line break.
  read_report.py csv FILE    CSV parsed with the csv module (RFC 4180 quoting): the list of records.
"""
import csv
import json
import sys
from html.parser import HTMLParser

TEXT_ELEMENTS = ("title", "h1", "h2", "h3", "p", "code")


class ReportReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []          # every start tag, in order
        self.attributes = []    # [tag, name, value] of every attribute
        self.texts = {name: [] for name in TEXT_ELEMENTS}
        self.tables = []        # {"heading": last h2 text, "rows": [[cell text]]}
        self.open_texts = []    # [element name, text so far] of the text elements open now
        self.cell = None        # the text of the table cell open now
        self.last_h2 = ""

    def add_text(self, text):
        for entry in self.open_texts:
            entry[1] += text
        if self.cell is not None:
            self.cell += text

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append([tag, name, value if value is not None else ""])
        if tag == "br":
            self.add_text("\n")
        elif tag in TEXT_ELEMENTS:
            self.open_texts.append([tag, ""])
        elif tag == "table":
            self.tables.append({"heading": self.last_h2, "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in TEXT_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            if self.tables and self.tables[-1]["rows"]:
                self.tables[-1]["rows"][-1].append(self.cell)
            self.cell = None
        for i in range(len(self.open_texts) - 1, -1, -1):
            if self.open_texts[i][0] == tag:
                name, text = self.open_texts.pop(i)
                self.texts[name].append(text)
                if name == "h2":
                    self.last_h2 = text
                break

    def handle_data(self, data):
        self.add_text(data)


def read_html(path):
    with open(path, encoding="utf-8", newline="") as file:
        reader = ReportReader()
        reader.feed(file.read())
        reader.close()
    result = {"tags": reader.tags, "attributes": reader.attributes, "tables": reader.tables}
    result.update(reader.texts)
    return result


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as file:
        return list(csv.reader(file, strict=True))


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("html", "csv"):
        sys.exit("usage: read_report.py html|csv FILE")
    result = read_html(sys.argv[2]) if sys.argv[1] == "html" else read_csv(sys.argv[2])
    json.dump(result, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
