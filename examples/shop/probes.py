"""The shop's probes, in one provider shared by its submodules."""
from typing import Optional

from tracers import U16, U32, ProbeCall, tracer


@tracer(provider="shop")
class ShopProbes:
    @staticmethod
    def order_placed(order_id: U32, item: str, quantity: U16) -> ProbeCall: ...

    @staticmethod
    def order_shipped(order_id: U32, carrier: Optional[str]) -> ProbeCall: ...

    @staticmethod
    def stock_low(item: str, remaining: int) -> ProbeCall: ...
