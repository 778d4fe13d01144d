"""Orders: fires probes through a module alias of tracers."""
from typing import Optional

import tracers as t

from .probes import ShopProbes


class Order:
    def __init__(self, order_id: int, item: str, quantity: int) -> None:
        self.order_id = order_id
        self.item = item
        self.quantity = quantity
        t.probe(ShopProbes.order_placed(order_id, item, quantity))

    def ship(self, carrier: Optional[str]) -> None:
        t.probe(ShopProbes.order_shipped(self.order_id, carrier))
