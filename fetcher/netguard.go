package fetcher

import (
	"fmt"
	"net/netip"
)

// The network guard: a feed may only connect to addresses that are globally
// reachable. The ranges below follow the IANA IPv4 and IPv6 Special-Purpose
// Address Registries (RFC 6890 and its updates), taking every block whose
// "Globally Reachable" is False, plus multicast, the reserved 240.0.0.0/4,
// the deprecated IPv6 site-local block (RFC 3879) and everything outside
// 2000::/3, the only IPv6 space IANA delegates as global unicast. Addresses
// that embed an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by the
// IPv4 address they lead to, since that is where the packets end up.

// BlockedError is a connection the network guard refused. It matches
// ErrBlocked with errors.Is.
type BlockedError struct {
	Addr     netip.Addr // the address asked for
	Embedded netip.Addr // the IPv4 address Addr leads to (NAT64, 6to4, IPv4-mapped); invalid when none
	Via      string     // how Addr embeds Embedded, e.g. "NAT64"
	Reason   string     // what the refused address is, e.g. "loopback"
}

func (e *BlockedError) Error() string {
	if e.Embedded.IsValid() {
		return fmt.Sprintf("address %s is %s of %s, which is %s, not allowed; list %s in fetch.allow_networks to allow it",
			e.Addr, e.Via, e.Embedded, e.Reason, e.Embedded)
	}
	return fmt.Sprintf("address %s is %s, not allowed; list it in fetch.allow_networks to allow it", e.Addr, e.Reason)
}

// Unwrap makes errors.Is(err, ErrBlocked) hold.
func (e *BlockedError) Unwrap() error { return ErrBlocked }

// CheckAddr returns nil when a feed may connect to a, else a *BlockedError
// saying what a is. An address inside one of allow is always allowed; so is
// an address embedding an IPv4 address inside one of allow.
func CheckAddr(a netip.Addr, allow []netip.Prefix) error {
	if !a.IsValid() {
		return &BlockedError{Addr: a, Reason: "not an IP address"}
	}
	a = a.WithZone("")
	if inAny(a, allow) || inAny(a.Unmap(), allow) {
		return nil
	}
	if a.Is4In6() {
		return checkEmbedded(a, a.Unmap(), "IPv4-mapped", allow)
	}
	if a.Is4() {
		if reason := specialReason(a); reason != "" {
			return &BlockedError{Addr: a, Reason: reason}
		}
		return nil
	}
	b := a.As16()
	switch {
	case nat64WellKnown.Contains(a):
		return checkEmbedded(a, netip.AddrFrom4([4]byte(b[12:16])), "NAT64", allow)
	case nat64Local.Contains(a):
		// RFC 8215 local-use prefixes are deployed as /96 (the IPv4
		// address in the last 32 bits), like the well-known prefix.
		return checkEmbedded(a, netip.AddrFrom4([4]byte(b[12:16])), "local-use NAT64", allow)
	case sixToFour.Contains(a):
		return checkEmbedded(a, netip.AddrFrom4([4]byte(b[2:6])), "6to4", allow)
	}
	if reason := specialReason(a); reason != "" {
		return &BlockedError{Addr: a, Reason: reason}
	}
	return nil
}

// checkEmbedded judges outer by the IPv4 address v4 it leads to.
func checkEmbedded(outer, v4 netip.Addr, via string, allow []netip.Prefix) error {
	if inAny(v4, allow) {
		return nil
	}
	if reason := specialReason(v4); reason != "" {
		return &BlockedError{Addr: outer, Embedded: v4, Via: via, Reason: reason}
	}
	return nil
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

var (
	nat64WellKnown = netip.MustParsePrefix("64:ff9b::/96")   // RFC 6052
	nat64Local     = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215
	sixToFour      = netip.MustParsePrefix("2002::/16")      // RFC 3056
	globalUnicast  = netip.MustParsePrefix("2000::/3")       // RFC 4291 2.4, IANA IPv6 address space
)

// special is one block of the special-purpose registries. A block with an
// empty reason is globally reachable although a wider block around it is
// not (the first block containing an address decides).
type special struct {
	prefix netip.Prefix
	reason string
}

func sp(prefix, reason string) special { return special{netip.MustParsePrefix(prefix), reason} }

// specials lists the blocks a feed may not connect to; the first one
// containing an address decides, so exceptions stand before their blocks.
var specials = []special{
	// IPv4 (IANA IPv4 Special-Purpose Address Registry, multicast, broadcast).
	sp("0.0.0.0/8", "in 0.0.0.0/8 (this network, RFC 791)"),
	sp("10.0.0.0/8", "private (RFC 1918)"),
	sp("100.64.0.0/10", "shared address space (RFC 6598)"),
	sp("127.0.0.0/8", "loopback"),
	sp("169.254.0.0/16", "link-local"),
	sp("172.16.0.0/12", "private (RFC 1918)"),
	sp("192.0.0.0/24", "an IETF protocol assignment (RFC 6890)"),
	sp("192.0.2.0/24", "documentation (TEST-NET-1, RFC 5737)"),
	sp("192.168.0.0/16", "private (RFC 1918)"),
	sp("198.18.0.0/15", "benchmarking (RFC 2544)"),
	sp("198.51.100.0/24", "documentation (TEST-NET-2, RFC 5737)"),
	sp("203.0.113.0/24", "documentation (TEST-NET-3, RFC 5737)"),
	sp("224.0.0.0/4", "multicast"),
	sp("255.255.255.255/32", "limited broadcast"),
	sp("240.0.0.0/4", "reserved (RFC 1112)"),

	// IPv6 (IANA IPv6 Special-Purpose Address Registry).
	sp("::/128", "unspecified"),
	sp("::1/128", "loopback"),
	sp("::ffff:0:0/96", "IPv4-mapped"),
	sp("100::/64", "discard-only (RFC 6666)"),
	sp("100:0:0:1::/64", "a dummy prefix (RFC 9780)"),
	sp("2001:1::1/128", ""),   // PCP anycast
	sp("2001:1::2/128", ""),   // TURN anycast
	sp("2001:1::3/128", ""),   // DNS-SD SRP anycast
	sp("2001:3::/32", ""),     // AMT
	sp("2001:4:112::/48", ""), // AS112-v6
	sp("2001:20::/28", ""),    // ORCHIDv2
	sp("2001:30::/28", ""),    // drone remote ID
	sp("2001::/32", "Teredo (RFC 4380)"),
	sp("2001:2::/48", "benchmarking (RFC 5180)"),
	sp("2001:10::/28", "ORCHID (deprecated, RFC 4843)"),
	sp("2001::/23", "an IETF protocol assignment (RFC 2928)"),
	sp("2001:db8::/32", "documentation (RFC 3849)"),
	sp("3fff::/20", "documentation (RFC 9637)"),
	sp("5f00::/16", "a segment routing SID (RFC 9602)"),
	sp("fc00::/7", "unique local (private, RFC 4193)"),
	sp("fe80::/10", "link-local"),
	sp("fec0::/10", "site-local (deprecated, RFC 3879)"),
	sp("ff00::/8", "multicast"),
}

// specialReason says what a is when no feed may connect to it, or returns
// "" for a globally reachable address.
func specialReason(a netip.Addr) string {
	for _, s := range specials {
		if s.prefix.Contains(a) {
			return s.reason
		}
	}
	if a.Is6() && !globalUnicast.Contains(a) {
		return "outside the IPv6 global unicast space 2000::/3"
	}
	return ""
}
