import pytest
from inventory.models import Item, ValidationError, validate_quantity, validate_sku


def test_valid_sku_passes():
    assert validate_sku("ABC-1234") == "ABC-1234"


@pytest.mark.parametrize("sku", ["abc-1234", "ABC1234", "AB-123", ""])
def test_invalid_sku_rejected(sku):
    with pytest.raises(ValidationError):
        validate_sku(sku)


def test_quantity_bounds():
    assert validate_quantity(0, allow_zero=True) == 0
    with pytest.raises(ValidationError):
        validate_quantity(0)
    with pytest.raises(ValidationError):
        validate_quantity(True)


def test_item_round_trip():
    item = Item("TEA-0001", "Green tea", quantity=10, reserved=3, tags=["drinks"])
    data = item.to_dict()
    assert data["available"] == 7
    assert Item.from_dict(data) == item
