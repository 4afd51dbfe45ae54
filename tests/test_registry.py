from __future__ import annotations

import pytest

from wgan_suite.core.registry import Registry, UnknownNameError


def test_register_and_get():
    reg: Registry[object] = Registry("loss")

    @reg.register("wgan_gp")
    class A:
        pass

    assert reg.get("wgan_gp") is A
    assert "wgan_gp" in reg and reg.names() == ("wgan_gp",) and len(reg) == 1


def test_duplicate_name_is_an_error():
    reg: Registry[object] = Registry("loss")
    reg.register("a")(object)
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("a")(object)


def test_unknown_name_suggests_and_lists():
    reg: Registry[object] = Registry("loss")
    for name in ("wgan", "wgan_gp", "hinge"):
        reg.register(name)(object)
    with pytest.raises(UnknownNameError) as info:
        reg.get("wgan_gpp")
    msg = str(info.value)
    assert "Unknown loss 'wgan_gpp'" in msg
    assert "Did you mean: wgan_gp" in msg
    assert "Available: hinge, wgan, wgan_gp" in msg
