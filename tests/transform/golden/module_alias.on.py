from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Db_query = _tracers_LazyGate(globals(), '_tracers_gate_0_Db_query', ('Db', 'query'))
_tracers_gate_1_Db_execute = _tracers_LazyGate(globals(), '_tracers_gate_1_Db_execute', ('Db', 'execute'))
import tracers as t
import tracers.runtime as rt
from app.probes import Db


def query(sql):
    if _tracers_gate_0_Db_query:
        Db.query.fire(sql)
    rt.probe(Db.query(sql))
    return run(sql)


class Cursor:
    def execute(self, sql):
        if _tracers_gate_1_Db_execute:
            Db.execute.fire(sql, len(sql))
