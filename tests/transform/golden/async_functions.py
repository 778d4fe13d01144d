# sites: 4
from tracers import probe
from app.probes import Io


async def fetch(session, url):
    probe(Io.start(url))
    async with session.get(url) as response:
        probe(Io.status(response.status))
    async for chunk in response.content:
        probe(Io.chunk(len(chunk)))
    await session.close()


async def wrapper(Io):
    probe(Io.wrapped())
    return [x async for x in Io]
