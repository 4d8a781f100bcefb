import pytest
from inventory.models import Item, ValidationError
from inventory.service import InventoryService, OutOfStock
from inventory.storage import InMemoryItemStore


@pytest.fixture
def service():
    svc = InventoryService(InMemoryItemStore(), low_stock_threshold=2, max_reservation=5)
    svc.add_item(Item("MUG-0001", "Mug", quantity=4))
    svc.add_item(Item("PEN-0002", "Pen", quantity=20))
    return svc


def test_reserve_and_ship(service):
    service.reserve("MUG-0001", 3, order_id="o-1")
    assert service.get_item("MUG-0001").available == 1
    shipped = service.ship("o-1")
    assert (shipped.quantity, shipped.reserved) == (1, 0)


def test_reserve_more_than_available(service):
    with pytest.raises(OutOfStock) as info:
        service.reserve("MUG-0001", 5, order_id="o-2")
    assert info.value.available == 4


def test_reservation_limit(service):
    with pytest.raises(ValidationError):
        service.reserve("PEN-0002", 6, order_id="o-3")


def test_low_stock_report(service):
    service.reserve("MUG-0001", 2, order_id="o-4")
    assert [item.sku for item in service.low_stock()] == ["MUG-0001"]
    service.restock("MUG-0001", 10)
    assert service.low_stock() == []
