"""Place and ship a few orders; each step fires a probe."""
import sys
from typing import List

from .orders import Order
from .stock import Stock


def main(argv: List[str]) -> int:
    rounds = int(argv[0]) if argv else 3
    stock = Stock({"apple": 10, "pear": 4})
    for number in range(rounds):
        item = "apple" if number % 2 == 0 else "pear"
        order = Order(number + 1, item, 1)
        stock.take(item, 1)
        order.ship("post" if number % 3 else None)
        print(f"order {order.order_id}: {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
