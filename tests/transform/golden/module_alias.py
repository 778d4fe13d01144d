# sites: 2
import tracers as t
import tracers.runtime as rt
from app.probes import Db


def query(sql):
    t.probe(Db.query(sql))
    rt.probe(Db.query(sql))
    return run(sql)


class Cursor:
    def execute(self, sql):
        t.probe(Db.execute(sql, len(sql)))
