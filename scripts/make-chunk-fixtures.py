#!/usr/bin/env python3
"""Writes test/fixtures/chunk/expected.json: what PostgresML's pgml.chunk answers (LangChain's
Python text splitters, as pgml-extension's langchain.py calls them: SPLITTERS[name](**kwargs)
.split_text(text)) for a few documents, splitters and kwargs. pgml.chunk is tested against it.

  python3 -m pip install --no-deps langchain-text-splitters langchain-core uuid-utils
  python3 scripts/make-chunk-fixtures.py --out test/fixtures/chunk/expected.json
"""
import argparse
import json
from importlib.metadata import version

import langchain_text_splitters as splitters

SPLITTERS = {
    "character": splitters.CharacterTextSplitter,
    "latex": splitters.LatexTextSplitter,
    "markdown": splitters.MarkdownTextSplitter,
    "python": splitters.PythonCodeTextSplitter,
    "recursive_character": splitters.RecursiveCharacterTextSplitter,
}

PROSE = """PostgresML is a machine learning extension for PostgreSQL that enables you to perform training and inference on text and tabular data using SQL queries.

With PostgresML, you can seamlessly integrate machine learning models into your PostgreSQL database and harness the power of cutting-edge algorithms to process data efficiently.
Chunking splits long documents into pieces small enough to embed.

Each piece overlaps the one before it, so a sentence cut in two is still found whole in one of them."""

MARKDOWN = """# Retrieval

Retrieval augmented generation needs three steps.

## Chunk

Split every document with `pgml.chunk`:

```sql
SELECT * FROM pgml.chunk('markdown', body);
```

## Embed

* Embed each chunk.
* Store the vector.

***

Then rank the results and generate an answer from the best of them."""

LATEX = r"""\documentclass{article}
\begin{document}
\section{Introduction}
Large language models are trained on text. \subsection{Data} The corpus has many documents.
\begin{itemize}
\item First item about chunks.
\item Second item about overlaps.
\end{itemize}
\section{Method}
We split the text and embed each piece. $$ E = mc^2 $$ Then we search.
\end{document}"""

PYTHON = '''import json


class Splitter:
    """Splits text."""

    def __init__(self, size):
        self.size = size

    def split(self, text):
        return [text[i:i + self.size] for i in range(0, len(text), self.size)]


def main():
    splitter = Splitter(10)
    for piece in splitter.split("hello world, hello chunks"):
        print(json.dumps(piece))


if __name__ == "__main__":
    main()
'''

CASES = [
    ("recursive_character", {}, PROSE),
    ("recursive_character", {"chunk_size": 100, "chunk_overlap": 20}, PROSE),
    ("recursive_character", {"chunk_size": 40, "chunk_overlap": 0}, PROSE),
    ("recursive_character", {"chunk_size": 60, "chunk_overlap": 10, "separators": ["\n", " "]}, PROSE),
    ("character", {"chunk_size": 120, "chunk_overlap": 0}, PROSE),
    ("character", {"chunk_size": 50, "chunk_overlap": 10, "separator": " "}, PROSE),
    ("markdown", {"chunk_size": 80, "chunk_overlap": 0}, MARKDOWN),
    ("markdown", {"chunk_size": 40, "chunk_overlap": 10}, MARKDOWN),
    ("latex", {"chunk_size": 80, "chunk_overlap": 0}, LATEX),
    ("latex", {"chunk_size": 50, "chunk_overlap": 10}, LATEX),
    ("python", {"chunk_size": 100, "chunk_overlap": 0}, PYTHON),
    ("python", {"chunk_size": 60, "chunk_overlap": 20}, PYTHON),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    cases = [
        {"splitter": name, "kwargs": kwargs, "text": text, "chunks": SPLITTERS[name](**kwargs).split_text(text)}
        for name, kwargs, text in CASES
    ]
    with open(args.out, "w") as f:
        json.dump({"langchain_text_splitters": version("langchain-text-splitters"), "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
