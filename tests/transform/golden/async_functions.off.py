from tracers import probe
from app.probes import Io


async def fetch(session, url):
    async with session.get(url) as response:
        pass
    async for chunk in response.content:
        pass
    await session.close()


async def wrapper(Io):
    return [x async for x in Io]
