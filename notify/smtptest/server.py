# SMTP server for radiusd's notify tests (package smtptest), on aiosmtpd.
#
# Usage: python3 server.py CONFIG.json
# CONFIG: {"host", "port", "mode": "starttls"|"tls"|"none", "mail_dir",
#          "cert", "key", "user", "password", "exclude_auth": [mechanisms]}
# Every accepted message is written to mail_dir as NNNNNN.json with the
# envelope, whether the session used TLS, the logged-in user and the raw
# message (base64). "ready" is printed once the server listens; the server
# exits when its standard input closes (the test process went away).
import asyncio
import base64
import json
import os
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, mail_dir):
        self.mail_dir = mail_dir
        self.n = len([f for f in os.listdir(mail_dir) if f.endswith(".json")])

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth": session.auth_data if session.authenticated else None,
            "data": base64.b64encode(envelope.original_content).decode(),
        }
        path = os.path.join(self.mail_dir, "%06d.json" % self.n)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)
        return "250 2.0.0 OK: queued"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        if not ok:  # handled=False: aiosmtpd answers 535 itself
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data={"user": user, "mechanism": mechanism})

    return check


async def serve(cfg):
    loop = asyncio.get_running_loop()
    mode = cfg["mode"]
    ctx = None
    if mode != "none":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cfg["cert"], cfg["key"])
    handler = Handler(cfg["mail_dir"])
    auth = authenticator(cfg["user"], cfg["password"]) if cfg["user"] else None

    def factory():
        kw = dict(
            hostname="smtptest.invalid",
            loop=loop,
            authenticator=auth,
            auth_exclude_mechanism=cfg.get("exclude_auth") or [],
        )
        if mode == "starttls":
            kw["tls_context"] = ctx
        if mode == "tls":
            kw["auth_require_tls"] = False  # the whole connection is TLS
        return SMTP(handler, **kw)

    server = await loop.create_server(
        factory, cfg["host"], cfg["port"], ssl=ctx if mode == "tls" else None
    )
    print("ready", flush=True)
    await server.serve_forever()


def exit_on_eof():
    sys.stdin.buffer.read()
    os._exit(0)


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    threading.Thread(target=exit_on_eof, daemon=True).start()
    asyncio.run(serve(cfg))


if __name__ == "__main__":
    main()
