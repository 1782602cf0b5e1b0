"""The venv resolves host names as Home Assistant does (aiodns on pycares).

Home Assistant 2025.4 pins aiodns 3.2.0, which only works with pycares 4.x: with
pycares 5 every lookup raises ``TypeError`` and the config flow says "unknown"
instead of "cannot connect". No internet: "localhost" comes from /etc/hosts, and
the DNS query goes to a tiny server on loopback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import socket
import struct

import aiodns
from aiohttp.resolver import AsyncResolver
import pytest

ANSWER = "192.0.2.7"  # TEST-NET-1: never a real host


async def test_aiohttp_resolver_resolves_localhost() -> None:
    # Home Assistant's resolver is an AsyncResolver; a connection resolves the
    # host with its port.
    resolver = AsyncResolver()
    try:
        hosts = await resolver.resolve("localhost", 443, family=socket.AF_INET)
    finally:
        await resolver.close()
    assert hosts[0]["host"] == "127.0.0.1"
    assert hosts[0]["port"] == 443


class _OneRecordDNS(asyncio.DatagramProtocol):
    """Answer every question with one A record, ANSWER."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        end = data.index(b"\x00", 12) + 5  # the question: name, type, class
        header = data[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
        record = struct.pack(">HHHIH", 0xC00C, 1, 1, 60, 4)
        self.transport.sendto(
            header + data[12:end] + record + socket.inet_aton(ANSWER), addr
        )


@pytest.fixture
async def dns_port() -> AsyncGenerator[int]:
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        _OneRecordDNS, local_addr=("127.0.0.1", 0)
    )
    yield transport.get_extra_info("sockname")[1]
    transport.close()


async def test_aiodns_query(dns_port: int) -> None:
    # The call that failed with "Channel.query() takes 3 positional arguments".
    resolver = aiodns.DNSResolver(
        nameservers=["127.0.0.1"], udp_port=dns_port, tcp_port=dns_port, tries=1
    )
    answer = await asyncio.wait_for(resolver.query("door.parakey.test", "A"), 10)
    assert [record.host for record in answer] == [ANSWER]
