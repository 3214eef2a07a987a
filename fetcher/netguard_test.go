package fetcher

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// TestCheckAddrRanges takes each special-purpose block with an address
// inside it (refused) and one just outside it (allowed, unless the
// neighbour is itself special).
func TestCheckAddrRanges(t *testing.T) {
	tests := []struct {
		block   string
		denied  []string
		allowed []string
	}{
		{"0.0.0.0/8", []string{"0.0.0.0", "0.1.2.3", "0.255.255.255"}, []string{"1.0.0.1"}},
		{"10.0.0.0/8", []string{"10.0.0.1", "10.255.255.255"}, []string{"11.0.0.1", "9.255.255.255"}},
		{"100.64.0.0/10", []string{"100.64.0.1", "100.100.100.200", "100.127.255.255"}, []string{"100.63.255.255", "100.128.0.1"}},
		{"127.0.0.0/8", []string{"127.0.0.1", "127.1.2.3"}, []string{"128.0.0.1", "126.255.255.255"}},
		{"169.254.0.0/16", []string{"169.254.169.254", "169.254.0.1"}, []string{"169.253.255.255", "169.255.0.1"}},
		{"172.16.0.0/12", []string{"172.16.0.1", "172.31.255.255"}, []string{"172.15.255.255", "172.32.0.1"}},
		{"192.0.0.0/24", []string{"192.0.0.1", "192.0.0.8", "192.0.0.170"}, []string{"192.0.1.1"}},
		{"192.0.2.0/24", []string{"192.0.2.1"}, []string{"192.0.3.1"}},
		{"192.168.0.0/16", []string{"192.168.1.1"}, []string{"192.169.0.1", "192.167.255.255"}},
		{"198.18.0.0/15", []string{"198.18.0.1", "198.19.255.255"}, []string{"198.17.255.255", "198.20.0.1"}},
		{"198.51.100.0/24", []string{"198.51.100.7"}, []string{"198.51.101.1"}},
		{"203.0.113.0/24", []string{"203.0.113.9"}, []string{"203.0.114.1", "203.162.4.190"}},
		{"224.0.0.0/4", []string{"224.0.0.1", "239.255.255.250"}, []string{"223.255.255.255"}},
		{"240.0.0.0/4", []string{"240.0.0.1", "254.1.2.3"}, nil},
		{"255.255.255.255/32", []string{"255.255.255.255"}, nil},

		{"::/128", []string{"::"}, nil},
		{"::1/128", []string{"::1"}, nil},
		{"::ffff:0:0/96", []string{"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:100.100.100.200"}, []string{"::ffff:203.162.4.190"}},
		{"64:ff9b::/96", []string{"64:ff9b::127.0.0.1", "64:ff9b::10.1.2.3", "64:ff9b::169.254.169.254"}, []string{"64:ff9b::203.162.4.190"}},
		{"64:ff9b:1::/48", []string{"64:ff9b:1::192.168.0.1", "64:ff9b:1:abcd::127.0.0.1"}, []string{"64:ff9b:1::8.8.8.8"}},
		{"2002::/16", []string{"2002:7f00:1::", "2002:a00:1::1", "2002:c0a8:101::1", "2002:6464:64c8::1"}, []string{"2002:cba2:4be::1"}},
		{"2001::/32 Teredo", []string{"2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"}, []string{"2001:4860:4860::8888"}},
		{"2001::/23 protocol assignments", []string{"2001:2::1", "2001:10::1", "2001:1::4"}, []string{"2001:1::1", "2001:1::2", "2001:3::1", "2001:4:112::1", "2001:20::1", "2001:30::1", "2001:200::1"}},
		{"100::/64", []string{"100::1", "100::ffff:ffff:ffff:ffff"}, nil},
		{"2001:db8::/32", []string{"2001:db8::1", "2001:db8:ffff::1"}, []string{"2001:db9::1"}},
		{"3fff::/20", []string{"3fff::1", "3fff:fff::1"}, []string{"3ffe:ffff::1", "3fff:1000::1"}},
		{"5f00::/16", []string{"5f00::1", "5f00:ffff::1"}, nil},
		{"fc00::/7", []string{"fc00::1", "fd12:3456::1"}, nil},
		{"fe80::/10", []string{"fe80::1", "febf::1"}, nil},
		{"fec0::/10", []string{"fec0::1", "feff::1"}, nil},
		{"ff00::/8", []string{"ff02::1", "ff05::1:3", "ff01::1"}, nil},
		{"outside 2000::/3", []string{"::127.0.0.1", "::a00:1", "1::1", "4000::1", "e000::1", "::ffff:0:a00:1"}, []string{"2a00:1450:4001::1", "2400:cb00::1", "3ffe::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.block, func(t *testing.T) {
			for _, s := range tt.denied {
				a := netip.MustParseAddr(s)
				err := CheckAddr(a, nil)
				var be *BlockedError
				if !errors.As(err, &be) || !errors.Is(err, ErrBlocked) || be.Reason == "" {
					t.Errorf("CheckAddr(%s) = %v, want a *BlockedError matching ErrBlocked", s, err)
					continue
				}
				if msg := err.Error(); !strings.Contains(msg, "fetch.allow_networks") || !strings.Contains(msg, a.String()) {
					t.Errorf("CheckAddr(%s) says %q, want the address and fetch.allow_networks named", s, msg)
				}
			}
			for _, s := range tt.allowed {
				if err := CheckAddr(netip.MustParseAddr(s), nil); err != nil {
					t.Errorf("CheckAddr(%s) = %v, want nil", s, err)
				}
			}
		})
	}
}

func TestCheckAddrEmbedded(t *testing.T) {
	tests := []struct {
		addr, embedded, via, reason string
	}{
		{"::ffff:127.0.0.1", "127.0.0.1", "IPv4-mapped", "loopback"},
		{"64:ff9b::a00:1", "10.0.0.1", "NAT64", "private (RFC 1918)"},
		{"64:ff9b::100.100.100.200", "100.100.100.200", "NAT64", "shared address space"},
		{"64:ff9b:1:2:3:4:7f00:1", "127.0.0.1", "local-use NAT64", "loopback"},
		{"2002:a9fe:a9fe::1", "169.254.169.254", "6to4", "link-local"},
		{"2002:7f00:1:2:3:4:5:6", "127.0.0.1", "6to4", "loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := CheckAddr(netip.MustParseAddr(tt.addr), nil)
			var be *BlockedError
			if !errors.As(err, &be) {
				t.Fatalf("CheckAddr(%s) = %v, want *BlockedError", tt.addr, err)
			}
			if be.Embedded.String() != tt.embedded || be.Via != tt.via || !strings.HasPrefix(be.Reason, tt.reason) {
				t.Errorf("CheckAddr(%s) = %+v; want %s via %s, %s", tt.addr, be, tt.embedded, tt.via, tt.reason)
			}
			if msg := err.Error(); !strings.Contains(msg, "list "+tt.embedded+" in fetch.allow_networks") {
				t.Errorf("message %q does not say which address to list", msg)
			}
		})
	}
}

func TestCheckAddrAllowNetworks(t *testing.T) {
	pfx := func(ss ...string) []netip.Prefix {
		var ps []netip.Prefix
		for _, s := range ss {
			ps = append(ps, netip.MustParsePrefix(s))
		}
		return ps
	}
	tests := []struct {
		name  string
		addr  string
		allow []netip.Prefix
		want  bool
	}{
		{"listed private", "10.1.2.3", pfx("10.0.0.0/8"), true},
		{"other private", "192.168.1.1", pfx("10.0.0.0/8"), false},
		{"listed loopback", "127.0.0.1", pfx("127.0.0.0/8"), true},
		{"listed shared space", "100.100.100.200", pfx("100.64.0.0/10"), true},
		{"mapped by its IPv4", "::ffff:127.0.0.1", pfx("127.0.0.0/8"), true},
		{"NAT64 by its IPv4", "64:ff9b::a00:1", pfx("10.0.0.0/8"), true},
		{"NAT64 listed itself", "64:ff9b::a00:1", pfx("64:ff9b::/96"), true},
		{"6to4 by its IPv4", "2002:c0a8:101::1", pfx("192.168.0.0/16"), true},
		{"6to4 other IPv4", "2002:c0a8:101::1", pfx("10.0.0.0/8"), false},
		{"ULA listed", "fd00::5", pfx("fd00::/8"), true},
		{"ULA not listed", "fd00::5", pfx("fe80::/10"), false},
		{"IPv6 loopback listed", "::1", pfx("::1/128"), true},
		{"zone ignored", "fe80::1%eth0", pfx("fe80::/10"), true},
		{"Teredo listed", "2001::1", pfx("2001::/32"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAddr(netip.MustParseAddr(tt.addr), tt.allow)
			if got := err == nil; got != tt.want {
				t.Errorf("CheckAddr(%s, %v) = %v; want allowed %v", tt.addr, tt.allow, err, tt.want)
			}
		})
	}
}

// TestNetworkGuardMessage checks that the dialer's refusal reaches the
// caller naming the address, why, and the setting that opens it.
func TestNetworkGuardMessage(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()
	c := NewHTTPClient(Options{})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("loopback fetch allowed with no allow_networks")
	}
	if !errors.Is(err, ErrBlocked) || classify(err) != "blocked" {
		t.Errorf("err = %v, want ErrBlocked", err)
	}
	if want := "address 127.0.0.1 is loopback, not allowed; list it in fetch.allow_networks to allow it"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to say %q", err, want)
	}
	c = NewHTTPClient(Options{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	resp, err = c.Get(ts.URL)
	if err != nil {
		t.Fatalf("allowed loopback: %v", err)
	}
	resp.Body.Close()
}
