#!/usr/bin/env python3
"""ikespoof: unauthenticated IKE_SA_INIT messages a router must survive.

  ikespoof.py --dst A --src B [--raw] [--pace-ms N] [-v]

Sends every message below to A's UDP 500 and 4500 (with the 4-byte zero
non-ESP marker on 4500, RFC 3948).  Plain: from a UDP socket bound to B (an
ephemeral port; B must be an address of this namespace).  --raw: from a raw
socket (IP_HDRINCL) with source address B and source port 500 or 4500, so B
may be any address, e.g. a configured peer's.

The messages (RFC 7296 section 3), all of exchange IKE_SA_INIT:
  requests    (Initiator flag, message ID 0, SPIr zero, random SPIi) holding
              one notify, NO_PROPOSAL_CHOSEN (14), INVALID_SYNTAX (7),
              AUTHENTICATION_FAILED (24) or COOKIE (16390), with every subset
              of SA, KE and Nonce; the bodies are well formed, the proposal
              (AES-CBC-128, HMAC-SHA1, MODP-2048) one that vtid's lab
              configuration refuses, so even the complete set creates nothing
  zero SPIi   requests as above with SPIi zero
  truncated   a datagram shorter than the header, a header length past the
              datagram, a payload length past the end or below 4, a KE of 2
              bytes, a Nonce of 4, a proposal longer than its SA, major version 1
  responses   (Response flag only) holding only an error notify
Prints one line "sent N" (datagrams sent) and exits 0; -v first prints a
line per datagram (port and what it holds)."""
import argparse
import os
import socket
import struct
import sys
import time

SA, KE, NONCE, NOTIFY = 33, 34, 40, 41
IKE_SA_INIT = 34
F_INITIATOR, F_RESPONSE = 0x08, 0x20
N_NO_PROPOSAL_CHOSEN, N_INVALID_SYNTAX, N_AUTHENTICATION_FAILED = 14, 7, 24
N_COOKIE = 16390


def transform(ttype, tid, last, key_bits=0):
    attrs = struct.pack("!HH", 0x8000 | 14, key_bits) if key_bits else b""
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs


def sa_body(prop_len_delta=0):
    xf = (transform(1, 12, False, 128) +  # ENCR_AES_CBC, 128-bit key
          transform(2, 2, False) +        # PRF_HMAC_SHA1
          transform(3, 2, False) +        # AUTH_HMAC_SHA1_96
          transform(4, 14, True))         # DH group 14, MODP-2048
    # last proposal, protocol IKE, no SPI, 4 transforms
    return struct.pack("!BBHBBBB", 0, 0, 8 + len(xf) + prop_len_delta, 1, 1, 0, 4) + xf


def ke_body(group=14, size=256):
    return struct.pack("!HH", group, 0) + os.urandom(size)


def notify_body(ntype):
    data = b"\x01" + os.urandom(32) if ntype == N_COOKIE else b""
    return struct.pack("!BBH", 0, 0, ntype) + data


def message(payloads, spi_i=None, spi_r=b"\0" * 8, flags=F_INITIATOR, version=0x20,
            length_delta=0):
    """payloads: [(type, body[, length override])]; returns the IKE message."""
    spi_i = os.urandom(8) if spi_i is None else spi_i
    body = b""
    for i, pl in enumerate(payloads):
        ptype, pbody = pl[0], pl[1]
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        plen = pl[2] if len(pl) > 2 else 4 + len(pbody)
        body += struct.pack("!BBH", nxt, 0, plen) + pbody
    first = payloads[0][0] if payloads else 0
    hdr = struct.pack("!8s8sBBBBII", spi_i, spi_r, first, version, IKE_SA_INIT, flags, 0,
                      28 + len(body) + length_delta)
    return hdr + body


NAMES = {N_NO_PROPOSAL_CHOSEN: "NO_PROPOSAL_CHOSEN", N_INVALID_SYNTAX: "INVALID_SYNTAX",
         N_AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED", N_COOKIE: "COOKIE"}


def messages():
    """[(label, message)]"""
    out = []
    # every subset of SA, KE, Nonce, with each notify
    for ntype in (N_NO_PROPOSAL_CHOSEN, N_INVALID_SYNTAX, N_AUTHENTICATION_FAILED, N_COOKIE):
        for mask in range(8):
            pls, names = [(NOTIFY, notify_body(ntype))], [NAMES[ntype]]
            if mask & 1:
                pls.append((SA, sa_body()))
                names.append("SA")
            if mask & 2:
                pls.append((KE, ke_body()))
                names.append("KE")
            if mask & 4:
                pls.append((NONCE, os.urandom(32)))
                names.append("Nonce")
            out.append(("request " + "+".join(names), message(pls)))
    zero = b"\0" * 8
    full = [(SA, sa_body()), (KE, ke_body()), (NONCE, os.urandom(32))]
    out += [
        ("zero SPIi NO_PROPOSAL_CHOSEN+SA+KE+Nonce",
         message([(NOTIFY, notify_body(N_NO_PROPOSAL_CHOSEN))] + full, spi_i=zero)),
        ("zero SPIi INVALID_SYNTAX", message([(NOTIFY, notify_body(N_INVALID_SYNTAX))], spi_i=zero)),
        ("zero SPIi COOKIE+SA+Nonce", message([(NOTIFY, notify_body(N_COOKIE)), (SA, sa_body()),
                                               (NONCE, os.urandom(32))], spi_i=zero)),
        ("zero SPIi SA+KE+Nonce", message(full, spi_i=zero)),
        ("20 bytes of a header", message([(NOTIFY, notify_body(N_NO_PROPOSAL_CHOSEN))])[:20]),
        ("header length 200 bytes past the datagram",
         message([(NOTIFY, notify_body(N_AUTHENTICATION_FAILED))], length_delta=200)),
        ("notify length 200", message([(NOTIFY, notify_body(N_NO_PROPOSAL_CHOSEN), 200)])),
        ("notify length 3", message([(NOTIFY, notify_body(N_INVALID_SYNTAX), 3)])),
        ("SA+KE(2 bytes)+Nonce",
         message([(SA, sa_body()), (KE, struct.pack("!H", 14)), (NONCE, os.urandom(32))])),
        ("SA+KE+Nonce(4 bytes)", message([(SA, sa_body()), (KE, ke_body()), (NONCE, os.urandom(4))])),
        ("SA(proposal 300 bytes too long)+KE+Nonce",
         message([(SA, sa_body(prop_len_delta=300)), (KE, ke_body()), (NONCE, os.urandom(32))])),
        ("major version 1", message([(NOTIFY, notify_body(N_NO_PROPOSAL_CHOSEN))], version=0x10)),
    ]
    # responses carrying only an error notify
    for ntype in (N_NO_PROPOSAL_CHOSEN, N_INVALID_SYNTAX, N_AUTHENTICATION_FAILED, N_COOKIE):
        for spi_r, what in ((zero, "zero"), (os.urandom(8), "random")):
            out.append(("response %s, SPIr %s" % (NAMES[ntype], what),
                        message([(NOTIFY, notify_body(ntype))], spi_r=spi_r, flags=F_RESPONSE)))
    return out


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def raw_datagram(src, dst, sport, dport, payload):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    ulen = 8 + len(payload)
    pseudo = s + d + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    csum = checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    # checksum and (zero) ID are filled in by the kernel with IP_HDRINCL
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0, s, d)
    return ip + udp


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dst", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--raw", action="store_true")
    ap.add_argument("--pace-ms", type=float, default=2.0)
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    msgs = messages()
    if a.raw:
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    else:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((a.src, 0))
    sent = 0
    for port in (500, 4500):
        for label, m in msgs:
            if a.v:
                print("port %d #%d %s" % (port, sent, label), flush=True)
            payload = (b"\0" * 4 + m) if port == 4500 else m
            if a.raw:
                raw.sendto(raw_datagram(a.src, a.dst, port, port, payload), (a.dst, 0))
            else:
                udp.sendto(payload, (a.dst, port))
            sent += 1
            time.sleep(a.pace_ms / 1000.0)
    print("sent %d" % sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
