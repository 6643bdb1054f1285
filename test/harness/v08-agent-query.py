#!/usr/bin/env python3
# Ask the original v0.8 daos_agent for attach info over its SOCK_SEQPACKET
# socket, with a hand-encoded drpc.Call (module 2, method 206), and print the
# ranks and URIs of the GetAttachInfoResp it forwards from our MS, as JSON.
#   v08-agent-query.py <runtime dir> <system name>
import json
import socket
import sys


def varint(n):
    out = b''
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def parse(buf):
    i, out = 0, []
    while i < len(buf):
        key, i = read_varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = read_varint(buf, i)
        elif wire == 2:
            ln, i = read_varint(buf, i)
            v, i = buf[i:i + ln], i + ln
        else:
            raise ValueError('unexpected wire type %d' % wire)
        out.append((num, v))
    return out


def read_varint(buf, i):
    shift = n = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


body = field(1, 2, sys.argv[2].encode())
call = field(1, 0, 2) + field(2, 0, 206) + field(3, 0, 1) + field(4, 2, body)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(20)
s.connect(sys.argv[1] + '/agent.sock')
s.send(call)
resp = dict(parse(s.recv(65536)))
status = resp.get(2, 0)
if status != 0:
    print(json.dumps({'drpc_status': status}))
    sys.exit(1)
ranks = []
ai_status = 0
for num, v in parse(resp.get(3, b'')):
    if num == 1:
        ai_status = v
    if num == 2:
        psr = dict(parse(v))
        ranks.append({'rank': psr.get(1, 0), 'uri': psr.get(2, b'').decode()})
print(json.dumps({'status': ai_status, 'ranks': ranks}))
