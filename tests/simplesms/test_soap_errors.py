"""How the simplesms-soap backend reads a misbehaving server (SPEC §2 error table, §7).

A small Starlette stand-in serves a WSDL and answers each operation as the test says:
SOAP faults, proxy error pages, broken XML, replies without an id.  Plus a provider WSDL
in document/literal style with other part names, which the backend must simply use.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from simplesms.login_variants import LOST_LOGIN, NOT_PROOF_ON_SEND, REFUSED_CONNECT, params
from smsbridge_plugins.simplesms import wire
from smsbridge_plugins.simplesms.gateway_soap import render_fault, render_response

from smsbridge import AuthenticationError, Bridge, DeliveryUnknown, ProviderError, ProviderUnavailable, Status

REPO = Path(__file__).resolve().parents[2]
TO = "+36301234567"
OK_CONNECT = render_response("connect", wire.ok_reply({"user": "u"}))

Reply = Callable[[bytes], Any]

# Each test parses its stand-in's WSDL afresh (ports are reused across tests).
pytestmark = pytest.mark.usefixtures("fresh_wsdl_cache")


def stand_in(replies: dict[str, Reply], *, wsdl: bytes | None = None) -> tuple[Any, dict[str, int]]:
    """An ASGI app serving ``wsdl`` (default: the packaged one) and ``replies`` by operation."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    calls: dict[str, int] = {}
    text = wsdl if wsdl is not None else (REPO / "plugins" / "simplesms" / "sms.wsdl").read_bytes()

    async def get_wsdl(request: Request) -> Response:
        address = f"http://{request.url.netloc}/soap".encode()
        return Response(text.replace(b"https://api.simplesms.hu/soap", address), media_type="text/xml")

    async def post_soap(request: Request) -> Response:
        body = await request.body()
        match = re.search(rb"<(?:\w+:)?(\w+)[ >/][^<]*(?:<|$)", body.split(b"Body>", 1)[1])
        operation = match.group(1).decode() if match else "?"
        calls[operation] = calls.get(operation, 0) + 1
        reply = replies.get(operation)
        if reply is None:
            return Response(OK_CONNECT if operation == "connect" else b"", media_type="text/xml")
        result = reply(body)
        return result if isinstance(result, Response) else Response(result, media_type="text/xml; charset=utf-8")

    app = Starlette(routes=[Route("/sms.wsdl", get_wsdl), Route("/soap", post_soap, methods=["POST"])])
    return app, calls


@pytest.fixture
def stub(serve_asgi, tmp_path) -> Callable[..., tuple[Bridge, dict[str, int]]]:
    bridges: list[Bridge] = []

    def start(replies: dict[str, Reply], *, wsdl: bytes | None = None, spare: bool = True,
              **backend: Any) -> tuple[Bridge, dict[str, int]]:
        app, calls = stand_in(replies, wsdl=wsdl)
        url = serve_asgi(app)
        config: dict[str, Any] = {
            "backends": {"legacy": {"plugin": "simplesms-soap", "username": "u", "password": "p", "domain": "d",
                                    "wsdl": f"{url}/sms.wsdl", "timeout": 5, **backend}},
            "store": str(tmp_path / f"journal{len(bridges)}.sqlite3")}
        if spare:
            config["backends"]["spare"] = {"plugin": "sandbox"}
            config["routes"] = [{"backends": ["legacy", "spare"]}]
        bridge = Bridge.from_dict(config)
        bridges.append(bridge)
        return bridge, calls

    yield start
    for bridge in bridges:
        bridge.close()


def xml(operation: str, value: Any) -> Reply:
    return lambda body: render_response(operation, value)


def http(status: int, content: bytes, media_type: str = "text/html") -> Reply:
    from starlette.responses import Response

    return lambda body: Response(content, status_code=status, media_type=media_type)


def fault(code: str, text: str) -> Reply:
    return http(500, render_fault(code, text), "text/xml; charset=utf-8")


def test_a_client_fault_is_a_refusal_that_may_fail_over(stub):
    bridge, calls = stub({"sendSMS": fault("Client", "Bad argument strNumber")})
    receipt = bridge.send(TO, "x")
    assert receipt.backend == "spare"  # refused before acceptance: failover is safe
    assert calls["sendSMS"] == 1
    with pytest.raises(ProviderError) as info:
        bridge.send(TO, "x", backend="legacy")
    error = info.value
    assert error.retry_safe and error.code == "SOAP-ENV:Client" and "Bad argument" in str(error)


def test_a_server_fault_on_a_lookup_is_unavailable(stub):
    bridge, _ = stub({"getCreditNumber": fault("Server", "database down")})
    with pytest.raises(ProviderUnavailable, match="database down"):
        bridge.balance(backend="legacy")


@pytest.mark.parametrize(("reply", "error", "spare_used"), [
    (http(503, b"<html>Service Unavailable</html>"), ProviderUnavailable, True),
    (http(429, b"slow down"), ProviderUnavailable, True),
    (http(502, b"<html>Bad Gateway</html>"), DeliveryUnknown, False),
    (http(500, b"Fatal error: Allowed memory size exhausted"), DeliveryUnknown, False),
    (http(200, b"<html>not soap</html>"), DeliveryUnknown, False),
    (http(200, b"<?xml version='1.0'?><broken"), DeliveryUnknown, False),
    (xml("sendSMS", wire.ok_reply({"no_id_here": 1})), DeliveryUnknown, False),
    (xml("sendSMS", "just a string"), DeliveryUnknown, False),
    (xml("sendSMS", wire.error_reply(wire.E_UNKNOWN)), DeliveryUnknown, False),
    (xml("sendSMS", wire.error_reply(wire.E_UNAVAILABLE)), ProviderUnavailable, True),
    (xml("sendSMS", wire.error_reply(wire.E_NUMBER)), ProviderError, True),
])
def test_what_a_send_reply_proves(stub, reply, error, spare_used):
    bridge, calls = stub({"sendSMS": reply})
    if spare_used:
        assert bridge.send(TO, "x").backend == "spare"
        return
    with pytest.raises(error) as info:
        bridge.send(TO, "x")
    assert type(info.value) is error or isinstance(info.value, error)
    assert not info.value.retry_safe
    assert bridge.status(info.value.message_id).status is (Status.UNKNOWN if error is DeliveryUnknown
                                                           else Status.FAILED)
    assert calls["sendSMS"] == 1  # never repeated
    assert "p" not in re.findall(r"password\W+(\w+)", str(info.value))


def test_the_same_replies_on_a_lookup_are_unavailable(stub):
    bridge, _ = stub({"getStatus": http(200, b"<html>not soap</html>"),
                      "getHistory": http(500, b"oops"),
                      "getMonthlyStat": xml("getMonthlyStat", wire.ok_reply("not stats"))})
    backend = bridge.backend("legacy")
    for probe in (lambda: backend.status("1"), lambda: backend.history("1"), backend.monthly_stats):
        with pytest.raises(ProviderUnavailable):
            probe()


def test_a_login_refused_on_every_try_is_an_authentication_error(stub):
    bridge, calls = stub({"getCreditNumber": xml("getCreditNumber", wire.error_reply(wire.E_SESSION))})
    with pytest.raises(AuthenticationError):
        bridge.balance(backend="legacy")
    assert calls == {"connect": 2, "getCreditNumber": 2}  # connected again once, then gave up


def test_an_unreadable_connect_reply(stub):
    bridge, _ = stub({"connect": http(200, b"<html>login page</html>")}, spare=False)
    with pytest.raises(ProviderUnavailable):
        bridge.send(TO, "x")


def test_a_wsdl_that_is_not_a_wsdl(stub):
    bridge, calls = stub({}, wsdl=b"<html>moved</html>")
    assert bridge.send(TO, "x").backend == "spare"
    with pytest.raises(ProviderUnavailable, match="cannot load the WSDL"):
        bridge.balance(backend="legacy")
    assert calls == {}


DOCUMENT_LITERAL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions name="Sms" targetNamespace="http://provider.example/sms" xmlns:tns="http://provider.example/sms"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns="http://schemas.xmlsoap.org/wsdl/">
  <types>
    <xsd:schema targetNamespace="http://provider.example/sms" elementFormDefault="qualified">
      <xsd:complexType name="Reply">
        <xsd:sequence>
          <xsd:element name="success" type="xsd:boolean"/>
          <xsd:element name="error" type="xsd:boolean"/>
          <xsd:element name="errorCode" type="xsd:int" minOccurs="0"/>
          <xsd:element name="errorMessage" type="xsd:string" minOccurs="0"/>
          <xsd:element name="response" type="xsd:anyType" minOccurs="0"/>
        </xsd:sequence>
      </xsd:complexType>
      %ELEMENTS%
    </xsd:schema>
  </types>
  %MESSAGES%
  <portType name="SmsPort">%PORT%</portType>
  <binding name="SmsBinding" type="tns:SmsPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>%BINDING%
  </binding>
  <service name="Sms"><port name="SmsPort" binding="tns:SmsBinding">
    <soap:address location="https://api.simplesms.hu/soap"/></port></service>
</definitions>"""

_PARTS = {"connect": ("login", "secret", "domain"), "sendSMS": ("country", "area", "number", "text"),
          "getCreditNumber": (), "getMonthlyStat": (), "getStatus": ("id",), "getHistory": ("id",)}


def document_literal_wsdl() -> bytes:
    elements, messages, port, binding = [], [], [], []
    for op, parts in _PARTS.items():
        fields = "".join(f'<xsd:element name="{p}" type="xsd:string"/>' for p in parts)
        elements.append(f'<xsd:element name="{op}"><xsd:complexType><xsd:sequence>{fields}'
                        f'</xsd:sequence></xsd:complexType></xsd:element>'
                        f'<xsd:element name="{op}Response" type="tns:Reply"/>')
        messages.append(f'<message name="{op}In"><part name="body" element="tns:{op}"/></message>'
                        f'<message name="{op}Out"><part name="body" element="tns:{op}Response"/></message>')
        port.append(f'<operation name="{op}"><input message="tns:{op}In"/><output message="tns:{op}Out"/>'
                    "</operation>")
        binding.append(f'<operation name="{op}"><soap:operation soapAction="{op}"/><input><soap:body use="literal"/>'
                       '</input><output><soap:body use="literal"/></output></operation>')
    return (DOCUMENT_LITERAL.replace(b"%ELEMENTS%", "".join(elements).encode())
            .replace(b"%MESSAGES%", "".join(messages).encode()).replace(b"%PORT%", "".join(port).encode())
            .replace(b"%BINDING%", "".join(binding).encode()))


def literal(operation: str, inner: str) -> Reply:
    envelope = (f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
                f'<p:{operation}Response xmlns:p="http://provider.example/sms">{inner}</p:{operation}Response>'
                f"</s:Body></s:Envelope>").encode()
    return lambda body: envelope


def test_a_document_literal_provider_wsdl_with_other_names(stub):
    """The backend calls whatever the served WSDL describes, positionally, and reads
    document/literal structs like PHP's Maps."""
    seen: list[bytes] = []

    def send(body: bytes) -> bytes:
        seen.append(body)
        return literal("sendSMS", "<p:success>true</p:success><p:error>false</p:error>"
                                  "<p:response><p:sms_id>777</p:sms_id></p:response>")(body)

    replies = {
        "connect": literal("connect", "<p:success>1</p:success><p:error>0</p:error>"),
        "sendSMS": send,
        "getStatus": literal("getStatus", "<p:success>true</p:success><p:error>false</p:error><p:response>"
                                          "<p:status>Delivered</p:status><p:status_date>2024-03-05 10:20:30"
                                          "</p:status_date></p:response>"),
        "getCreditNumber": literal("getCreditNumber", "<p:success>false</p:success><p:error>true</p:error>"
                                                      "<p:errorCode>301</p:errorCode><p:errorMessage>No credit"
                                                      "</p:errorMessage>"),
    }
    bridge, calls = stub(replies, wsdl=document_literal_wsdl(), spare=False)
    receipt = bridge.send(TO, "literal")
    assert receipt.provider_id == "777"
    assert b"<ns0:country>36</ns0:country>" in seen[0] and b"<ns0:text>literal</ns0:text>" in seen[0]
    report = bridge.status(receipt.id)
    assert report.status is Status.DELIVERED and report.updated_at.year == 2024
    with pytest.raises(ProviderError, match="No credit") as info:
        bridge.balance()
    assert info.value.code == "301"


def test_a_wsdl_whose_operation_takes_other_arguments(stub):
    """zeep cannot even build the call: nothing was sent, so failing over is safe."""
    wsdl = (REPO / "plugins" / "simplesms" / "sms.wsdl").read_bytes().replace(
        b'<part name="domainName" type="xsd:string"/>', b"", 1)  # connect takes two arguments here
    bridge, calls = stub({}, wsdl=wsdl)
    assert bridge.send(TO, "x").backend == "spare"
    with pytest.raises(ProviderError, match="cannot call connect") as info:
        bridge.balance(backend="legacy")
    assert info.value.retry_safe
    assert calls == {}


SOAP12_FAULT = (b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault>'
                b'<env:Code><env:Value>env:%s</env:Value></env:Code><env:Reason><env:Text xml:lang="en">%s'
                b'</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>')


@pytest.mark.parametrize(("reply", "retry_safe", "code"), [
    (http(500, SOAP12_FAULT % (b"Sender", b"bad input"), "application/soap+xml"), True, "env:Sender"),
    (http(500, SOAP12_FAULT % (b"Receiver", b"crashed"), "application/soap+xml"), False, "env:Receiver"),
    (http(200, render_fault("Client", "a fault with HTTP 200"), "text/xml"), True, "SOAP-ENV:Client"),
    (http(503, render_fault("Server", "overloaded"), "text/xml"), True, "HTTP 503"),
])
def test_fault_variants(stub, reply, retry_safe, code):
    bridge, _ = stub({"sendSMS": reply}, spare=False)
    with pytest.raises(ProviderError) as info:
        bridge.send(TO, "x")
    assert info.value.retry_safe is retry_safe
    assert info.value.code == code
    if not retry_safe:
        assert isinstance(info.value, DeliveryUnknown)


# ---------------------------------------------------------------------------------------
# Issue 19: the same login rule as REST, and a refused connect


def _soap_reply(operation: str, status: int, reply: Any) -> Reply:
    from starlette.responses import Response

    if isinstance(reply, str):
        return http(status, reply.encode())
    return lambda body: Response(render_response(operation, reply), status_code=status,
                                 media_type="text/xml; charset=utf-8")


def _once(first: Reply, then: Reply) -> Reply:
    used: list[bool] = []

    def reply(body: bytes) -> Any:
        if not used:
            used.append(True)
            return first(body)
        return then(body)
    return reply


@pytest.mark.parametrize("status, reply", params(LOST_LOGIN))
@pytest.mark.parametrize("operation", ["sendSMS", "getCreditNumber"])
def test_every_lost_login_variant_reconnects_once_and_succeeds(stub, status, reply, operation):
    good = {"sendSMS": xml("sendSMS", wire.ok_reply(1001)), "getCreditNumber": xml("getCreditNumber",
                                                                                    wire.ok_reply(55))}
    bridge, calls = stub({operation: _once(_soap_reply(operation, status, reply), good[operation])}, spare=False)
    if operation == "sendSMS":
        assert bridge.send(TO, "x").provider_id == "1001"
    else:
        assert bridge.balance().amount == 55
    assert calls == {"connect": 2, operation: 2}
    assert bridge.backend("legacy").connects == 2


@pytest.mark.parametrize("status, reply", params(NOT_PROOF_ON_SEND))
def test_a_login_reply_that_does_not_prove_refusal_is_never_repeated(stub, status, reply):
    bridge, calls = stub({"sendSMS": _soap_reply("sendSMS", status, reply)})
    with pytest.raises(DeliveryUnknown):
        bridge.send(TO, "x")
    assert calls == {"connect": 1, "sendSMS": 1}


@pytest.mark.parametrize("status, reply", params(REFUSED_CONNECT))
def test_a_refused_connect_is_an_authentication_error_whatever_the_code(stub, status, reply):
    bridge, calls = stub({"connect": _soap_reply("connect", status, reply)})
    with pytest.raises(AuthenticationError) as info:
        bridge.balance(backend="legacy")
    assert info.value.backend == "legacy"
    assert bridge.send(TO, "x").backend == "spare"  # a refused login: failover is safe
    assert "sendSMS" not in calls and "getCreditNumber" not in calls
