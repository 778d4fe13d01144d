"""Stock keeping: fires a probe when an item runs low."""
from typing import Dict

from tracers import probe

from .probes import ShopProbes

LOW = 2


class Stock:
    def __init__(self, items: Dict[str, int]) -> None:
        self.items = dict(items)

    def take(self, item: str, quantity: int) -> None:
        self.items[item] -= quantity
        if self.items[item] <= LOW:
            probe(ShopProbes.stock_low(item, self.items[item]))
