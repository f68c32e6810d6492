"""Packaging and CI plumbing, checked by parsing (there is no Docker engine in CI)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent

RUNTIME_PINS = {
    "flask": "3.1.3",
    "flask-wtf": "1.3.0",
    "flask-limiter": "4.1.1",
    "flask-talisman": "1.1.0",
    "flask-cors": "6.0.5",
    "mongoengine": "0.29.3",
    "mongomock": "4.3.0",
    "pymongo": "4.20.0",
    "segno": "1.6.6",
    "requests": "2.34.2",
    "pydantic": "2.14.3",
    "python-dotenv": "1.2.4",
    "gunicorn": "27.0.1",
    "flask-babel": "4.0.0",
    "flask-compress": "1.25",
    "argon2-cffi": "25.1.0",
    "pyotp": "2.12.1",
    "prometheus-client": "0.26.0",
}
DEV_PINS = {
    "pytest": "9.2.0",
    "pytest-httpserver": "1.2.0",
    "playwright": "1.65.2",
    "hypothesis": "6.170.15",
    "ruff": "0.17.5",
    "mypy": "2.4.1",
    "nx-27017": "0.8.1",
    "zxing-cpp": "3.1.1",
    "aiosmtpd": "1.4.6",
}
DEV_ONLY = {*DEV_PINS, "pillow", "schemathesis", "pyyaml"}

# Every documented variable and its default ("" = optional / no value).
ENV_DEFAULTS = {
    "PORT": "3001",
    "HOST": "127.0.0.1",
    "APP_ENV": "development",
    "MONGODB_URI": "mongomock://localhost",
    "MONGODB_DB_NAME": "upi_gateway",
    "PAYMENT_PROVIDER": None,
    "MOBIKWIK_AUTH": None,
    "MOBIKWIK_API_URL": "https://webapi.mobikwik.com/p/wallet/balance",
    "MOBIKWIK_HISTORY_URL": None,
    "UPI_ID": None,
    "UPI_PAYEE_NAME": None,
    "ALLOWED_ORIGINS": "http://localhost:3000",
    "SESSION_EXPIRY_MINUTES": "10",
    "RATE_LIMIT_MAX_REQUESTS": "5",
    "RATE_LIMIT_WINDOW_MS": "600000",
    "ADMIN_SECRET": None,
    "TRUSTED_PROXIES": "0",
    "POLL_INTERVAL_SECONDS": "3",
    "NONCE_EXPIRY_MINUTES": "5",
    "LATE_PAYMENT_GRACE_MINUTES": "60",
    "AMOUNT_SUFFIX": "on-collision",
    "MAX_AMOUNT": "100000",
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOG_DIR": "logs",
    "LOG_FORMAT": "text",
    "PUBLIC_URL": None,
    "WEBHOOK_ALLOW_PRIVATE": "false",
    "WALLET_RECEIVE_ONLY": "false",
    "WEB_CONCURRENCY": "",
}


def read(relative: str) -> str:
    return (ROOT / relative).read_text(encoding="utf-8")


# --- Dockerfile -------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in read("Dockerfile").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    assert not pending, "Dockerfile ends inside a line continuation"
    return instructions


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), f"expected JSON exec form, got {arguments!r}"
    return [str(item) for item in value]


def test_dockerfile_base_image_is_python_311_slim() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")


def test_dockerfile_runs_as_non_root_user() -> None:
    instructions = dockerfile_instructions()
    users = [(i, args) for i, (keyword, args) in enumerate(instructions) if keyword == "USER"]
    assert users, "Dockerfile has no USER instruction"
    index, user = users[-1]
    assert user.split(":")[0] not in {"root", "0"}
    cmd_index = next(i for i, (keyword, _) in enumerate(instructions) if keyword == "CMD")
    assert index < cmd_index, "USER must come before CMD"


def test_dockerfile_cmd_is_gunicorn_serving_wsgi_app() -> None:
    cmds = [args for keyword, args in dockerfile_instructions() if keyword == "CMD"]
    assert len(cmds) == 1
    argv = exec_form(cmds[0])
    assert argv[0] == "gunicorn"
    assert argv[-1] == "wsgi:app"
    joined = " ".join(argv)
    for part in (
        "-k gthread",
        "--threads 8",
        "--bind 0.0.0.0:3001",
        "-c checkout/gunicorn_conf.py",
    ):
        assert part in joined, part
    # The worker count is WEB_CONCURRENCY, read by checkout/gunicorn_conf.py: no -w here.
    assert not {"-w", "--workers"} & set(argv), argv
    assert not [arg for arg in argv if arg.startswith("--workers=")]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in dockerfile_instructions():
        if keyword == "ENV":
            env.update(item.split("=", 1) for item in args.split())
    return env


def test_dockerfile_sets_web_concurrency_for_gunicorn() -> None:
    assert dockerfile_env()["WEB_CONCURRENCY"] == "2"
    text = read("checkout/gunicorn_conf.py")
    assert re.search(r"^workers = .*web_concurrency", text, re.MULTILINE)


def test_dockerfile_installs_runtime_requirements_only() -> None:
    instructions = dockerfile_instructions()
    text = " ".join(args for _, args in instructions)
    assert "requirements-dev" not in text
    runs = [args for keyword, args in instructions if keyword == "RUN"]
    assert any(re.search(r"pip install .*-r requirements\.txt", run) for run in runs)
    for dev_package in ("pytest", "playwright", "hypothesis", "ruff", "mypy", "schemathesis"):
        assert dev_package not in text, dev_package


def test_dockerfile_copies_app_and_sets_production_env() -> None:
    instructions = dockerfile_instructions()
    copied = " ".join(args for keyword, args in instructions if keyword == "COPY")
    for source in ("app.py", "wsgi.py", "checkout/", "templates/", "static/"):
        assert source in copied.split(), source
    env = " ".join(args for keyword, args in instructions if keyword == "ENV")
    assert "APP_ENV=production" in env.split()
    assert "PORT=3001" in env.split()
    assert ("EXPOSE", "3001") in instructions


def test_dockerfile_has_healthcheck_on_health_endpoint() -> None:
    checks = [args for keyword, args in dockerfile_instructions() if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    check = checks[0]
    assert "CMD" in check.split()
    assert "urllib" in check
    assert "http://127.0.0.1:3001/health" in check


def test_dockerignore_keeps_secrets_and_venv_out() -> None:
    ignored = {line.strip() for line in read(".dockerignore").splitlines()}
    for entry in (".env", ".venv", ".git"):
        assert entry in ignored, entry


# --- docker-compose.yml -----------------------------------------------------


def compose() -> dict[str, Any]:
    data = yaml.safe_load(read("docker-compose.yml"))
    assert isinstance(data, dict)
    return data


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(str(item).split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_compose_mongo_is_major_version_7_with_volume_and_healthcheck() -> None:
    mongo = compose()["services"]["mongo"]
    image, _, tag = mongo["image"].partition(":")
    assert image == "mongo"
    assert tag.split(".")[0] == "7"
    assert any(str(volume).endswith(":/data/db") for volume in mongo["volumes"])
    test = mongo["healthcheck"]["test"]
    test_text = " ".join(test) if isinstance(test, list) else test
    assert "mongosh" in test_text
    assert "ping" in test_text


def test_compose_app_waits_for_healthy_mongo() -> None:
    app = compose()["services"]["app"]
    depends = app["depends_on"]
    assert "mongo" in depends
    assert isinstance(depends, dict)
    assert depends["mongo"]["condition"] == "service_healthy"


def test_compose_app_points_at_mongo_in_production() -> None:
    app = compose()["services"]["app"]
    assert app["build"] in (".", {"context": "."})
    env_file = app["env_file"]
    assert ".env" in ([env_file] if isinstance(env_file, str) else env_file)
    env = environment(app)
    assert env["APP_ENV"] == "production"
    for variable, database in (
        ("MONGODB_URI", "/upi_gateway"),
        ("RATELIMIT_STORAGE_URI", "/upi_gateway_limits"),
    ):
        uri = urlsplit(env[variable])
        assert uri.scheme == "mongodb"
        assert uri.hostname == "mongo"
        assert uri.port == 27017
        assert uri.path == database


def test_compose_puts_the_proxy_alone_in_front_of_the_app() -> None:
    services = compose()["services"]
    app, proxy = services["app"], services["proxy"]
    # The app trusts one proxy's X-Forwarded-For, so nothing else may reach it.
    assert "ports" not in app, "the app must be reachable only through the proxy"
    assert [str(port) for port in app["expose"]] == ["3001"]
    assert environment(app)["TRUSTED_PROXIES"] == "1"
    image, _, tag = proxy["image"].partition(":")
    assert image == "nginx" and tag
    assert {str(port) for port in proxy["ports"]} == {"80:80", "443:443"}
    mounts = {str(volume).split(":")[1]: str(volume).split(":")[0] for volume in proxy["volumes"]}
    assert mounts["/etc/nginx/nginx.conf"] == "./deploy/nginx.conf"
    assert (ROOT / "deploy/nginx.conf").is_file()
    assert mounts["/etc/nginx/certs"] == "./deploy/certs"
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"


# The values a person fills in after `cp .env.example .env`, as the compose file's
# first lines tell them to.
PLACEHOLDERS = {
    "UPI_ID": "shop@okaxis",
    "MOBIKWIK_AUTH": "wallet-token",
    "ADMIN_SECRET": "a-long-random-master-key-0123456789",
    "METRICS_TOKEN": "a-long-random-metrics-token-0123456789",
}


def compose_value(raw: str, dotenv: dict[str, str]) -> str:
    """Compose's interpolation: ${NAME:-default} from the project's .env (empty counts as unset)."""

    def substitute(match: re.Match[str]) -> str:
        return dotenv.get(match.group(1)) or (match.group(2) or "")

    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}", substitute, raw)


def test_compose_names_the_placeholders_to_fill_in() -> None:
    header = " ".join(line for line in read("docker-compose.yml").splitlines()[:5])
    for name in PLACEHOLDERS:
        assert name in header, name
    values = env_example()
    assert all(values[name] == "" for name in PLACEHOLDERS)


def test_env_example_with_placeholders_filled_starts_in_compose() -> None:
    """`cp .env.example .env`, fill in the placeholders, `docker compose up`: no weak setting."""
    from checkout.config import Settings

    dotenv = {**env_example(), **PLACEHOLDERS}
    container = {**dockerfile_env(), **dotenv}
    for name, raw in environment(compose()["services"]["app"]).items():
        container[name] = compose_value(raw, dotenv)
    settings = Settings.from_env(container)
    assert settings.production and not settings.in_memory_store
    assert settings.mobikwik_history_url.startswith("https://")  # per-payment evidence
    assert settings.web_concurrency == 2 and settings.trusted_proxies == 1
    assert settings.mobikwik_api_url.startswith("https://")
    # gunicorn itself reads WEB_CONCURRENCY as a number: compose never hands it an empty one.
    assert container["WEB_CONCURRENCY"].isdigit()


# --- deploy/nginx.conf ------------------------------------------------------


Directive = tuple[str, list[str], list[Any]]


def nginx_tokens(text: str) -> list[str]:
    """nginx's lexical rules: words, quoted strings, `{` `}` `;`, comments to the line end."""
    pattern = r"""#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)"""
    tokens = []
    for match in re.finditer(pattern, text):
        double, single, punctuation, word = match.groups()
        if match.group(0).startswith("#"):
            continue
        tokens.append(
            next(part for part in (double, single, punctuation, word) if part is not None)
        )
    return tokens


def nginx_parse(tokens: list[str]) -> list[Directive]:
    """Directives as (name, arguments, block); fails on unbalanced braces or a missing `;`."""
    stack: list[list[Directive]] = [[]]
    words: list[str] = []
    for token in tokens:
        if token == ";":
            assert words, "empty directive"
            stack[-1].append((words[0], words[1:], []))
            words = []
        elif token == "{":
            assert words, "block without a name"
            block: list[Directive] = []
            stack[-1].append((words[0], words[1:], block))
            stack.append(block)
            words = []
        elif token == "}":
            assert not words and len(stack) > 1, "unbalanced }"
            stack.pop()
        else:
            words.append(token)
    assert not words and len(stack) == 1, "config ends inside a directive or block"
    return stack[0]


def nginx_config() -> list[Directive]:
    return nginx_parse(nginx_tokens(read("deploy/nginx.conf")))


def find(directives: list[Directive], name: str) -> list[Directive]:
    return [directive for directive in directives if directive[0] == name]


def one(directives: list[Directive], name: str) -> list[str]:
    (found,) = find(directives, name)
    return found[1]


def seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)(s|m)?", value)
    assert match, value
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def nginx_http() -> list[Directive]:
    (http,) = find(nginx_config(), "http")
    return http[2]


def tls_location() -> list[Directive]:
    servers = [server[2] for server in find(nginx_http(), "server")]
    (tls,) = [s for s in servers if any("ssl" in d[1] for d in find(s, "listen"))]
    (location,) = find(tls, "location")
    assert location[1] == ["/"]
    return location[2]


def test_nginx_sends_every_request_to_the_compose_app() -> None:
    (upstream,) = find(nginx_http(), "upstream")
    name = upstream[1][0]
    app = compose()["services"]["app"]
    assert one(upstream[2], "server")[0] == f"app:{app['expose'][0]}"
    assert one(tls_location(), "proxy_pass") == [f"http://{name}"]


def test_nginx_answers_slow_clients_itself_with_short_timeouts() -> None:
    http = nginx_http()
    for name in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        assert seconds(one(http, name)[0]) <= 30, name
    location = tls_location()
    assert one(location, "proxy_request_buffering") == ["on"]
    assert seconds(one(location, "proxy_connect_timeout")[0]) <= 10
    # A little longer than gunicorn's worker timeout (30 s, app.py and gunicorn's default).
    assert re.search(r'"timeout": 30,', read("app.py"))
    assert 30 < seconds(one(location, "proxy_read_timeout")[0]) <= 60


def test_nginx_refuses_bodies_the_app_would_refuse() -> None:
    from checkout.app import MAX_BODY_BYTES

    limit = one(nginx_http(), "client_max_body_size")[0]
    match = re.fullmatch(r"(\d+)([km]?)", limit.lower())
    assert match, limit
    factor = {"": 1, "k": 1024, "m": 1024 * 1024}[match.group(2)]
    assert int(match.group(1)) * factor == MAX_BODY_BYTES


def test_nginx_forwards_the_client_as_the_one_trusted_hop() -> None:
    headers = {args[0].lower(): args[1:] for _, args, _ in find(tls_location(), "proxy_set_header")}
    # Replaced, not appended to: a client's own X-Forwarded-For never reaches the app.
    assert headers["x-forwarded-for"] == ["$remote_addr"]
    assert headers["x-forwarded-proto"] == ["$scheme"]
    assert headers["x-forwarded-host"] == ["$host"]
    assert headers["host"] == ["$host"]


def test_nginx_serves_tls_and_only_redirects_plain_http() -> None:
    servers = [server[2] for server in find(nginx_http(), "server")]
    plain = [s for s in servers if not any("ssl" in d[1] for d in find(s, "listen"))]
    (redirect,) = plain
    assert one(redirect, "return") == ["301", "https://$host$request_uri"]
    assert not find(redirect, "location")
    (tls,) = [s for s in servers if s is not redirect]
    assert one(tls, "ssl_certificate")[0].startswith("/etc/nginx/certs/")
    assert one(tls, "ssl_certificate_key")[0].startswith("/etc/nginx/certs/")


def test_nginx_access_log_shows_no_pay_page_token() -> None:
    http = nginx_http()
    (log_format,) = find(http, "log_format")
    name, fields = log_format[1][0], " ".join(log_format[1][1:])
    assert one(http, "access_log")[1] == name
    for leaky in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$uri"):
        assert leaky not in fields, leaky
    (mapping,) = find(http, "map")
    source, target = mapping[1]
    assert source == "$uri" and target in fields
    pattern, replacement = next((key, args[0]) for key, args, _ in mapping[2] if key[0] == "~")
    # nginx (PCRE) names a group (?<name>…), Python (?P<name>…).
    regex = re.compile(pattern[1:].replace("(?<", "(?P<"))
    token = "XeEV8F98nlPpISZU_8TuPlMRBpUZk6Ur"
    match = regex.fullmatch(f"/pay/{token}/status")
    assert match
    logged = re.sub(r"\$\{(\w+)\}", lambda m: match.group(m.group(1)), replacement)
    assert logged == "/pay/[redacted]/status"


# --- README -----------------------------------------------------------------


def test_readme_documents_every_setting() -> None:
    from checkout import config

    text = read("README.md")
    for variable in config.ENV_VARIABLES:
        assert re.search(rf"^\| `{variable}` \|", text, re.MULTILINE), variable


# --- .env.example -----------------------------------------------------------


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in read(".env.example").splitlines():
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            name, value = match.groups()
            assert name not in values, f"{name} is listed twice"
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[name] = value
    return values


def test_env_example_lists_every_variable_with_its_default() -> None:
    values = env_example()
    missing = sorted(set(ENV_DEFAULTS) - set(values))
    assert not missing, f"missing from .env.example: {missing}"
    for name, default in ENV_DEFAULTS.items():
        if default is not None:
            assert values[name] == default, name


def test_env_example_comments_every_variable() -> None:
    previous = ""
    for line in read(".env.example").splitlines():
        stripped = line.strip()
        if re.fullmatch(r"[A-Z][A-Z0-9_]*=.*", stripped):
            assert previous.startswith("#"), f"{stripped.split('=')[0]} has no comment above it"
        if stripped:
            previous = stripped


def test_env_example_matches_settings_defaults() -> None:
    """Every variable the settings read is documented, with the same default."""
    from checkout import config

    spec = config._SPEC
    assert tuple(spec) == config.ENV_VARIABLES
    values = env_example()
    for variable, (_attribute, _parse, default) in spec.items():
        assert variable in values, f"{variable} is read by checkout.config but not in .env.example"
        if values[variable] != "":
            assert values[variable] == default, variable


# --- requirements -----------------------------------------------------------


def requirement_lines(relative: str) -> list[str]:
    lines = []
    for raw in read(relative).splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def pins(relative: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in requirement_lines(relative):
        if line.startswith("-r "):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)", line)
        assert match, f"{relative}: not pinned with ==: {line!r}"
        name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
        assert name not in found, f"{relative}: {name} pinned twice"
        found[name] = match.group(2)
    return found


def test_runtime_requirements_are_the_agreed_pins() -> None:
    assert not [line for line in requirement_lines("requirements.txt") if line.startswith("-")]
    assert pins("requirements.txt") == RUNTIME_PINS


def test_dev_requirements_include_runtime_and_pin_everything() -> None:
    lines = requirement_lines("requirements-dev.txt")
    assert lines[0] == "-r requirements.txt"
    assert [line for line in lines if line.startswith("-")] == ["-r requirements.txt"]
    dev = pins("requirements-dev.txt")
    for name, version in DEV_PINS.items():
        assert dev.get(name) == version, name
    assert "pillow" in dev
    assert "pyyaml" in dev
    assert not set(dev) & set(RUNTIME_PINS), "runtime packages belong in requirements.txt"
    assert not set(pins("requirements.txt")) & DEV_ONLY, "dev packages in requirements.txt"


# --- Makefile, scripts, CI --------------------------------------------------


def make_targets() -> dict[str, str]:
    """target -> its prerequisites line."""
    targets = {}
    for line in read("Makefile").splitlines():
        match = re.match(r"^([A-Za-z][A-Za-z0-9_.-]*)\s*:(?!=)(.*)$", line)
        if match:
            targets[match.group(1)] = match.group(2).split("##")[0].strip()
    return targets


def test_makefile_has_the_agreed_targets() -> None:
    targets = make_targets()
    expected = {"help", "venv", "run", "test", "lint", "browser-deps", "fmt", "clean"}
    assert expected <= set(targets)
    phony_line = re.search(r"^\.PHONY\s*:(.*)$", read("Makefile"), re.MULTILINE)
    assert phony_line, ".PHONY not declared"
    phony = set(phony_line.group(1).split())
    assert expected <= phony
    assert re.search(r"^\.DEFAULT_GOAL\s*:=\s*help\s*$", read("Makefile"), re.MULTILINE)
    assert {"venv", "browser-deps"} <= set(targets["test"].split())
    assert "venv" not in targets["run"].split(), "make run needs the runtime set only"


def test_a_fresh_venv_gets_only_what_the_target_needs(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"  # nothing installed yet: a fresh clone
    for target, installs in (
        ("run", ["requirements.txt"]),
        ("test", ["requirements.txt", "requirements-dev.txt"]),
    ):
        lines = make_dry_run(target, f"VENV={venv}")
        installed = [line.split(" -r ")[1] for line in lines if " -m pip install -r " in line]
        # A dry run's `$(MAKE) lint` lists the installs again: the stamps are never touched.
        assert list(dict.fromkeys(installed)) == installs, target


def make_dry_run(target: str, *variables: str) -> list[str]:
    make = shutil.which("make")
    assert make is not None, "make is part of the documented setup"
    result = subprocess.run(
        [make, "-n", "--no-print-directory", target, *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.splitlines()


def test_make_run_runs_app_py_from_the_venv() -> None:
    assert make_dry_run("run")[-1] == ".venv/bin/python app.py"


def test_make_test_lints_then_runs_pytest() -> None:
    lines = make_dry_run("test")
    assert lines[-1] == ".venv/bin/python -m pytest -q"
    for command in (
        "bash scripts/ensure-chromium",
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/mypy",
    ):
        assert command in lines, command
    assert lines.index(".venv/bin/mypy") < lines.index(".venv/bin/python -m pytest -q")


def bash_syntax_ok(relative: str) -> None:
    path = ROOT / relative
    assert os.access(path, os.X_OK), f"{relative} is not executable"
    assert read(relative).startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(path)], check=True, timeout=30)


def test_ci_run_calls_make_test() -> None:
    bash_syntax_ok(".ci/run")
    text = read(".ci/run")
    assert "set -euo pipefail" in text
    assert re.search(r"^make test\s*$", text, re.MULTILINE)


def test_ensure_chromium_installs_debian_chromium() -> None:
    bash_syntax_ok("scripts/ensure-chromium")
    text = read("scripts/ensure-chromium")
    assert "/usr/bin/chromium" in text
    assert "DEBIAN_FRONTEND=noninteractive" in text
    assert "apt-get update" in text
    assert "apt-get install -y --no-install-recommends chromium fonts-dejavu-core" in text
    code = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in code if "playwright install" in line]


# --- vendored htmx ----------------------------------------------------------


def test_vendored_htmx_is_2_0_11() -> None:
    path = ROOT / "static/js/htmx.min.js"
    text = path.read_text(encoding="utf-8")
    # The minified build states its version as a property of the htmx object.
    assert 'version:"2.0.11"' in text
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest in read("static/js/VENDORED.md"), "sha256 in VENDORED.md does not match"
