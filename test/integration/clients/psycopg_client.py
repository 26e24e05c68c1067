"""Drives psycopg 3 (libpq underneath) against a URL and prints one JSON object of results.

Usage: python3 psycopg_client.py URL [--pgml] [--named-cursor]
The Node test asserts on the JSON so failures show the exact value that differed.
"""
import json
import sys

import psycopg


def main() -> None:
    url = sys.argv[1]
    with_pgml = "--pgml" in sys.argv[2:]
    with_named_cursor = "--named-cursor" in sys.argv[2:]
    out = {"libpq": psycopg.pq.version(), "impl": psycopg.pq.__impl__}
    with psycopg.connect(url, autocommit=True) as conn:
        # psycopg 3 binds parameters server-side: Parse/Bind/Execute through the proxy.
        out["server_params"] = conn.execute("select %s::int + 1, %s::text", [41, "ok"]).fetchone()
        out["binary"] = conn.execute("select %s::int * 2", [21], binary=True).fetchone()[0]
        out["prepared"] = [conn.execute("select %s::int * 3", [n], prepare=True).fetchone()[0] for n in range(4)]

        conn.execute("drop table if exists psy_items")
        conn.execute("create table psy_items (id int primary key, label text)")
        with conn.cursor() as cur:
            cur.executemany("insert into psy_items values (%s, %s)", [(i, f"item {i}") for i in range(100)])
        out["executemany_count"] = conn.execute("select count(*) from psy_items").fetchone()[0]

        with conn.cursor() as cur:
            with cur.copy("copy psy_items (id, label) from stdin") as copy:
                for i in range(100, 1100):
                    copy.write_row((i, f"copied {i}"))
            copied_out = []
            with cur.copy("copy (select id, label from psy_items where id >= 1095 order by id) to stdout") as copy:
                for row in copy.rows():
                    copied_out.append(list(row))
        out["copy_count"] = conn.execute("select count(*) from psy_items").fetchone()[0]
        out["copy_out"] = copied_out

        with conn.pipeline():
            cursors = [conn.execute("select %s::int as n", [n]) for n in range(10)]
        out["pipeline"] = [c.fetchone()[0] for c in cursors]

        try:
            with conn.pipeline():
                conn.execute("select 1")
                conn.execute("select 1/0")
                conn.execute("select 3")
        except psycopg.Error as err:
            out["pipeline_error"] = err.sqlstate
        out["after_pipeline_error"] = conn.execute("select 'alive'").fetchone()[0]

        with conn.transaction():
            conn.execute("insert into psy_items values (%s, %s)", [5000, "tx"])
        try:
            with conn.transaction():
                conn.execute("insert into psy_items values (%s, %s)", [5001, "rolled back"])
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
        out["tx_rows"] = conn.execute("select id from psy_items where id >= 5000 order by id").fetchall()

        if with_pgml:
            out["pgml_version"] = conn.execute("select pgml.version()").fetchone()[0]
            out["pgml_version_param"] = conn.execute("select pgml.version(), %s::int", [9]).fetchone()
            # Per-row predictions with bound parameters, alone and several in one libpq pipeline
            # (one Sync for all), against the same query with literals in the simple protocol.
            conn.execute("select * from pgml.load_dataset('iris')")
            conn.execute("select * from pgml.train('psy_iris', 'classification', 'pgml.iris', 'target', 'linear')")
            features = "array[sepal_length, sepal_width, petal_length, petal_width]"
            per_row = f"select pgml.predict(%s, {features}) from pgml.iris where sepal_length > %s order by sepal_length, sepal_width, petal_length, petal_width"
            literal = per_row.replace("%s", "'psy_iris'", 1).replace("%s", "6.5")
            out["per_row_simple"] = [r[0] for r in conn.cursor().execute(literal.encode()).fetchall()]
            if with_named_cursor:
                # A named (server-side) cursor: DECLARE (extended protocol: keyed), then FETCH FORWARD n
                # in pieces (simple Queries), in a transaction.
                with conn.transaction():
                    with conn.cursor(name="psy_named") as named:
                        named.execute(literal.encode())
                        pieces = [named.fetchmany(3), named.fetchmany(5), named.fetchall()]
                out["per_row_named_cursor"] = [r[0] for piece in pieces for r in piece]
            out["per_row_bound"] = [r[0] for r in conn.execute(per_row, ["psy_iris", 6.5]).fetchall()]
            out["per_row_binary"] = [r[0] for r in conn.execute(per_row, ["psy_iris", 6.5], binary=True).fetchall()]
            with conn.pipeline():
                cursors = [conn.execute(per_row, ["psy_iris", limit]) for limit in (6.5, 7.0)]
            out["per_row_pipeline"] = [[r[0] for r in c.fetchall()] for c in cursors]
            out["per_row_pipeline_expected"] = [
                [r[0] for r in conn.cursor().execute(per_row.replace("%s", "'psy_iris'", 1).replace("%s", str(limit)).encode()).fetchall()]
                for limit in (6.5, 7.0)
            ]
    print(json.dumps(out, default=list))


if __name__ == "__main__":
    main()
