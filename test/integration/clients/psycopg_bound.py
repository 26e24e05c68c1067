"""Bound-parameter pgml calls through psycopg 3 (libpq): text and binary results, prepared
statements, libpq pipeline mode and errors; prints one JSON object for the Node test to compare
between two proxies (answer-locally-extended.test.ts).

Usage: python3 psycopg_bound.py URL TINY_MODEL
"""
import json
import sys

import psycopg

PREDICT = "SELECT pgml.predict('reg', %s::real[])"
EMBED = "SELECT pgml.embed(%s, %s)"


def error_of(conn, sql, params):
    try:
        conn.execute(sql, params, binary=True)
    except psycopg.Error as error:
        return [error.sqlstate, error.diag.message_primary, error.diag.severity]
    return None


def main() -> None:
    url, tiny = sys.argv[1], sys.argv[2]
    out = {}
    with psycopg.connect(url, autocommit=True) as conn:
        features = [0.25, -0.5, 0.125]
        out["binary"] = conn.execute(PREDICT, [features], binary=True).fetchone()
        out["text"] = conn.execute(PREDICT, [features]).fetchone()
        out["embed_binary"] = conn.execute(EMBED, [tiny, "The cat sat on the mat."], binary=True).fetchone()
        out["prepared"] = [conn.execute(PREDICT, [[float(n), 0.5, 1.0]], prepare=True, binary=True).fetchone() for n in range(4)]
        with conn.pipeline():
            cursors = [conn.cursor(binary=True) for _ in range(3)]
            cursors[0].execute(PREDICT, [features])
            cursors[1].execute("SELECT %s::int + 1", [41])
            cursors[2].execute(EMBED, [tiny, "short"])
        out["pipeline"] = [cur.fetchone() for cur in cursors]
        out["missing_model"] = error_of(conn, PREDICT.replace("'reg'", "'no_such_project'"), [features])
        out["bad_features"] = error_of(conn, PREDICT, [[1.0, 2.0]])
        out["after_errors"] = conn.execute(PREDICT, [features], binary=True).fetchone()
        with conn.transaction():
            out["in_block"] = conn.execute(PREDICT, [features], binary=True).fetchone()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
