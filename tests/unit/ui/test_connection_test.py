"""The Test button's request for a Storyblok connection: the hidden port dropped, nothing else touched."""

from __future__ import annotations

import json

from storyblok_traffic.ui.connection_test import without_hidden_port


def test_only_a_storyblok_connections_hidden_port_is_dropped():
    sent = {"conn_type": "storyblok", "connection_id": "sb", "host": "http://sim", "password": "***", "port": 0}
    assert json.loads(without_hidden_port(json.dumps(sent).encode())) == {k: v for k, v in sent.items() if k != "port"}
    other = json.dumps(sent | {"conn_type": "postgres"}).encode()
    assert without_hidden_port(other) == other  # another type's port is the user's
    chosen = json.dumps(sent | {"port": 8443}).encode()
    assert without_hidden_port(chosen) == chosen  # a port someone typed stays
    assert without_hidden_port(b"not json") == b"not json"
