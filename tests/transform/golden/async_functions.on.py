from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Io_start = _tracers_LazyGate(globals(), '_tracers_gate_0_Io_start', ('Io', 'start'))
_tracers_gate_1_Io_status = _tracers_LazyGate(globals(), '_tracers_gate_1_Io_status', ('Io', 'status'))
_tracers_gate_2_Io_chunk = _tracers_LazyGate(globals(), '_tracers_gate_2_Io_chunk', ('Io', 'chunk'))
from tracers import probe
from app.probes import Io


async def fetch(session, url):
    if _tracers_gate_0_Io_start:
        Io.start.fire(url)
    async with session.get(url) as response:
        if _tracers_gate_1_Io_status:
            Io.status.fire(response.status)
    async for chunk in response.content:
        if _tracers_gate_2_Io_chunk:
            Io.chunk.fire(len(chunk))
    await session.close()


async def wrapper(Io):
    if (_tracers_event := Io.wrapped).gate:
        _tracers_event.fire()
    return [x async for x in Io]
