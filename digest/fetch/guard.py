"""A host name -> the addresses `digest fetch` may connect to, or the reason it may not.

A feed is untrusted input: its links (and its server's redirects) could point the
fetcher at the machine it runs on or at its private network (a router's admin page,
a cloud metadata service). Every address a name resolves to is checked, not just the
first, and the caller connects to the address that was checked (see `http.py`), so
the name cannot resolve to a public address for the check and a private one for the
connection (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket

# the metadata services of the large clouds answer on these, whatever they resolve from
_ALWAYS_BLOCKED = frozenset({ipaddress.ip_address("169.254.169.254")})


class Refused(Exception):
    """A host that may not be reached (its reason is the message)."""


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is a global unicast one: not loopback, private, link-local,
    multicast, reserved or unspecified (an IPv4-mapped IPv6 address counts as its IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and address not in _ALWAYS_BLOCKED


def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Host name or literal address -> its addresses, in the resolver's order; raises
    Refused when it does not resolve or (without allow_private) any address is not public.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host}: {_reason(exc)}") from None
    addresses: list[str] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise Refused(f"cannot resolve {host}: no address")
    if not allow_private:
        for text in addresses:
            if not is_public(ipaddress.ip_address(text)):
                raise Refused(
                    f"{host} resolves to the non-public address {text} "
                    "(allow_private / --allow-private lets digest reach it)"
                )
    return addresses


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return exc.strerror or "name not found"
    return str(exc) or type(exc).__name__
