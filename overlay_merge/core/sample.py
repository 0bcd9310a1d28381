"""A generated sample deployment with real git history.

Used by ``overlay-merge demo DIR`` and as the fixture of the test suite.
:func:`make_sample` builds, under an empty *root*::

    root/remotes/baselayer.git   bare: b1 -> b2 on main
    root/remotes/skyportal.git   bare: s0 -> s1 -> s2 on main; nested submodule
                                 "baselayer" (gitlink b1 in s0 and s1, b2 in s2)
    root/deployment/             the deployment repo (branch main, one commit)
        skyportal/               submodule at s1: local branch main at s1 whose
                                 upstream (origin/main) is s2, the next bump target
            baselayer/           nested submodule, detached at b1
        extensions/skyportal/    the overlay
        .overlay-base            bases: s0 for skyportal/enum_types.py, s1 for the rest
        .gitignore               ignores the build dir patched_skyportal/

Overlay file -> state of docs/design.md §5 for a bump s1 -> s2 (``Sample.expected``):

=========================================  ==================  ================================
overlay path                               state               how
=========================================  ==================  ================================
baselayer/app/app_server.py                clean               nested: b2 edits make_app only
baselayer/app/auth/IAMOAuth2.py            unchanged           addition, absent in b1 and b2
skyportal/enum_types.py                    unchanged           base s0; same blob in s0..s2
skyportal/facility_apis/grandma_api.py     unchanged           addition, absent in s0..s2
skyportal/handlers/api/instrument.py       added-upstream      addition; s2 adds other content
skyportal/handlers/api/legacy.py           deleted-upstream    removed in s2
skyportal/handlers/api/source.py           clean               overlay top, s2 bottom
skyportal/initial_setup.py                 conflict            one conflicting hunk + one clean
skyportal/models/group.py                  converged           s2 bytes == overlay bytes
skyportal/utils/calculations.py            renamed-upstream    s2: git mv to calc.py + edit
static/img/logo.png                        binary              1x1 PNGs, all three differ
tools/check_env.sh                         unchanged           mode 100755, same blob s0..s2
=========================================  ==================  ================================

Every git call runs with :func:`git_env` (no system or global config, fixed
identity, fixed dates one hour apart), so the commits s0..s2, b1, b2 have the
same ids on every run and machine.  For that reason the upstream's
``.gitmodules`` uses the *relative* URL ``../baselayer.git``: git resolves it
against the cloning superproject's origin (``root/remotes/skyportal.git``), so
it names ``root/remotes/baselayer.git`` while the upstream commits stay
independent of *root*.  The deployment's own ``.gitmodules`` holds the absolute
path of ``root/remotes/skyportal.git``, so only the deployment commit depends
on *root*.  The tree is not relocatable: clones record absolute remote URLs.
"""

from __future__ import annotations

import itertools
import os
import shutil
import stat
import struct
import subprocess
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from overlay_merge.core.basefile import write_base_file
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.paths import path_problem

SAMPLE_EPOCH = 1_704_067_200
"""Unix time of the first sample commit (2024-01-01T00:00:00Z); later ones are hours after."""

UPSTREAM_DIR = "skyportal"
OVERLAY_DIR = "extensions/skyportal"
BASE_FILE = ".overlay-base"

_HOUR = 3600
# Passed on every command line; git exports -c options to the processes it
# spawns (the clones of `submodule add/update`), so they apply there as well.
# protocol.file.allow: git >= 2.38 refuses local-path submodule clones without it.
_GIT_OPTIONS = ("-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always")


class GitCommandError(subprocess.CalledProcessError):
    """A git command of the sample builder failed; ``str()`` includes git's stderr."""

    def __init__(self, error: subprocess.CalledProcessError, cwd: Path) -> None:
        super().__init__(error.returncode, error.cmd, error.stdout, error.stderr)
        self.cwd = cwd

    def __str__(self) -> str:
        raw = self.stderr if isinstance(self.stderr, bytes) else b""
        detail = raw.decode("utf-8", "replace").strip()
        return f"{' '.join(map(str, self.cmd))} (in {self.cwd}) exited {self.returncode}: {detail}"


def git_env(*, when: int = SAMPLE_EPOCH) -> dict[str, str]:
    """Environment for a deterministic git run, with author and committer dates *when*.

    Inherited ``GIT_*`` variables are dropped: inside a git hook (a pre-commit
    running the tests) ``GIT_DIR`` or ``GIT_INDEX_FILE`` would otherwise point
    every command at the caller's repository.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    date = f"@{when} +0000"
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="Sample Maintainer",
        GIT_AUTHOR_EMAIL="maintainer@example.org",
        GIT_COMMITTER_NAME="Sample Maintainer",
        GIT_COMMITTER_EMAIL="maintainer@example.org",
        GIT_AUTHOR_DATE=date,
        GIT_COMMITTER_DATE=date,
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    return env


def _run(cwd: Path, args: Sequence[str], *, when: int = SAMPLE_EPOCH) -> bytes:
    command = ["git", *_GIT_OPTIONS, *args]
    try:
        result = subprocess.run(
            command, cwd=cwd, env=git_env(when=when), check=True, capture_output=True
        )
    except subprocess.CalledProcessError as exc:
        raise GitCommandError(exc, cwd) from None
    return result.stdout


def git_bytes(cwd: Path, *args: str) -> bytes:
    """Run ``git *args`` in *cwd* deterministically and return its raw stdout.

    For blobs (``show REV:path``) whose bytes must survive untouched.
    Raises :class:`GitCommandError` when git fails.
    """
    return _run(cwd, args)


def git(cwd: Path, *args: str) -> str:
    """Run ``git *args`` in *cwd* deterministically and return stdout, stripped.

    Raises :class:`GitCommandError` (with git's stderr) when git fails.
    """
    return _run(cwd, args).decode("utf-8", "surrogateescape").strip()


def _next_time(repo: Path) -> int:
    try:
        last = _run(repo, ["log", "-1", "--format=%ct"])
    except GitCommandError:
        return SAMPLE_EPOCH  # unborn branch: this is the first commit
    return int(last) + _HOUR


def commit_files(
    repo: Path,
    files: Mapping[str, bytes | None],
    message: str,
    *,
    modes: Mapping[str, int] | None = None,
    when: int | None = None,
) -> str:
    """Write (bytes) or delete (None) *files* in the working repo *repo*, commit, return the sha.

    Paths are relative POSIX paths.  *modes* maps paths to permission bits
    (``0o755`` records mode 100755, ``0o644`` 100644) or to ``stat.S_IFLNK``,
    which makes the path a symlink whose target is the file's bytes.  Whatever
    was already staged is committed too (a gitlink staged with
    ``git update-index --cacheinfo 160000,<sha>,<path>``).  The commit date is
    *when* (Unix time), by default one hour after HEAD's, or
    :data:`SAMPLE_EPOCH` for a first commit.
    """
    modes = modes or {}
    for path in (*files, *modes):
        problem = path_problem(path)
        if problem:
            raise ValueError(f"commit_files: unsafe path {path!r}: {problem}")
    for path, data in files.items():
        target = repo / path
        # Replace rather than write through an existing symlink.
        if target.is_symlink() or (data is None and target.exists()):
            target.unlink()
        if data is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if modes.get(path) == stat.S_IFLNK:
            os.symlink(data, target)
        else:
            target.write_bytes(data)
    for path, mode in modes.items():
        if mode != stat.S_IFLNK:
            os.chmod(repo / path, mode)
    paths = sorted({*files, *modes})
    if paths:
        _run(repo, ["add", "--", *paths])
    # Set the exec bit in the index explicitly: with core.fileMode false (some
    # file systems) `git add` would record every file as 100644.
    for flag, bit_set in (("+x", True), ("-x", False)):
        chosen = [
            path
            for path, mode in modes.items()
            if mode != stat.S_IFLNK and bool(mode & 0o111) == bit_set
        ]
        if chosen:
            _run(repo, ["update-index", f"--chmod={flag}", "--", *chosen])
    if when is None:
        when = _next_time(repo)
    _run(repo, ["commit", "-q", "--no-verify", "-m", message], when=when)
    return git(repo, "rev-parse", "HEAD")


@dataclass(frozen=True)
class Sample:
    """What :func:`make_sample` built: paths, commit ids and the designed outcome."""

    root: Path
    deployment: Path
    upstream_remote: Path
    baselayer_remote: Path
    commits: Mapping[str, str]
    """``{"s0", "s1", "s2", "b1", "b2"}`` -> full hex commit id."""
    expected: Mapping[str, str]
    """Overlay path -> docs/design.md §5 state of a bump s1 -> s2."""
    renamed_to: Mapping[str, str]
    """Overlay path -> its new upstream path at s2 (renamed-upstream files)."""

    @property
    def upstream(self) -> Path:
        """The upstream submodule's working tree, ``deployment/skyportal``."""
        return self.deployment / UPSTREAM_DIR

    @property
    def overlay(self) -> Path:
        """The overlay root, ``deployment/extensions/skyportal``."""
        return self.deployment / OVERLAY_DIR

    @property
    def base_file(self) -> Path:
        """The deployment's ``.overlay-base``."""
        return self.deployment / BASE_FILE


def _edit(text: str, old: str, new: str) -> str:
    # Each variant is its base text with exact edits; insisting on a single
    # match keeps the designed diffs from silently vanishing when text changes.
    if text.count(old) != 1:
        raise AssertionError(f"sample edit anchor found {text.count(old)} times: {old!r}")
    return text.replace(old, new)


def _png(red: int, green: int, blue: int) -> bytes:
    """A valid 1x1 RGB PNG (72 bytes, with NUL bytes in its chunk lengths)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = bytes((0, red, green, blue))  # filter byte "none", then one pixel
    # A hand-made "stored" deflate block rather than zlib.compress: compressor
    # output may differ between zlib builds (zlib-ng), the bytes must not.
    stream = (
        b"\x78\x01\x01"
        + struct.pack("<HH", len(raw), len(raw) ^ 0xFFFF)
        + raw
        + struct.pack(">I", zlib.adler32(raw))
    )
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stream) + chunk(b"IEND", b"")
    )


# --- baselayer (the nested submodule) ------------------------------------------

_BL_README = """\
# baselayer

Foundation shared by SkyPortal-like apps: tornado server, auth, websockets, config.
"""

_BL_INIT = '''\
"""baselayer: the web-application foundation under SkyPortal."""

__version__ = "0.9.0"
'''

_BL_ENV = '''\
"""Load the app's configuration and environment flags."""

import argparse
import os

import yaml


class Config(dict):
    """Nested configuration with dotted-key lookup: cfg["app.secret_key"]."""

    def __getitem__(self, key):
        value = self
        for part in key.split("."):
            value = dict.__getitem__(value, part)
        return value

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


def load_env():
    """Return (command-line flags, configuration) for the running app."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", action="append", default=["config.yaml"])
    parser.add_argument("--debug", action="store_true")
    env, _ = parser.parse_known_args()
    cfg = Config()
    for path in env.config:
        if os.path.exists(path):
            with open(path) as f:
                cfg.update(yaml.safe_load(f) or {})
    return env, cfg
'''

_BL_APP_SERVER_B1 = '''\
"""Tornado application factory shared by every baselayer app."""

import tornado.web

from baselayer.app.env import load_env
from baselayer.app.handlers import AuthHandler, MainPageHandler, ProfileHandler

env, cfg = load_env()

settings = {
    "template_path": "./static",
    "login_url": "/",
    "cookie_secret": cfg["app.secret_key"],
    "autoreload": env.debug,
    "SOCIAL_AUTH_USER_MODEL": "baselayer.app.models.User",
    "SOCIAL_AUTH_STORAGE": "baselayer.app.psa.TornadoStorage",
    "SOCIAL_AUTH_STRATEGY": "baselayer.app.psa.TornadoStrategy",
    "SOCIAL_AUTH_AUTHENTICATION_BACKENDS": (
        "social_core.backends.google.GoogleOAuth2",
    ),
    "SOCIAL_AUTH_LOGIN_URL": "/",
    "SOCIAL_AUTH_LOGIN_REDIRECT_URL": "/",
}

handlers = [
    (r"/baselayer/profile", ProfileHandler),
    (r"/logout", AuthHandler),
    (r"/()", MainPageHandler),
    (r"/static/(.*)", tornado.web.StaticFileHandler, {"path": "static/"}),
]


def make_app(extra_handlers=()):
    """Build the tornado application with the app's own handlers appended."""
    app = tornado.web.Application(handlers + list(extra_handlers), **settings)
    app.cfg = cfg
    return app
'''

# b2 changes make_app (bottom); the overlay adds an auth backend (top).
_BL_APP_SERVER_B2 = _edit(
    _BL_APP_SERVER_B1,
    "    app.cfg = cfg\n",
    "    app.cfg = cfg\n    app.env = env\n",
)
_BL_APP_SERVER_OVERLAY = _edit(
    _BL_APP_SERVER_B1,
    '        "social_core.backends.google.GoogleOAuth2",\n',
    '        "social_core.backends.google.GoogleOAuth2",\n'
    '        "baselayer.app.auth.IAMOAuth2.IAMOAuth2",\n',
)

_IAM_OAUTH2 = '''\
"""OAuth2 backend for the collaboration's IAM (INDIGO IAM) identity provider."""

from social_core.backends.open_id_connect import OpenIdConnectAuth

from baselayer.app.env import load_env

env, cfg = load_env()


class IAMOAuth2(OpenIdConnectAuth):
    """Sign users in with the collaboration's IAM server (python-social-auth backend)."""

    name = "iam"
    OIDC_ENDPOINT = cfg.get("server.auth.iam_endpoint", "https://iam.example.org/")
    DEFAULT_SCOPE = ["openid", "profile", "email"]
    EXTRA_DATA = [("refresh_token", "refresh_token", True), ("expires_in", "expires")]

    def get_user_details(self, response):
        """Map IAM claims onto baselayer's user fields."""
        return {
            "username": response.get("preferred_username"),
            "email": response.get("email"),
            "first_name": response.get("given_name", ""),
            "last_name": response.get("family_name", ""),
        }
'''

# --- skyportal (the upstream) -----------------------------------------------------

_GITMODULES = """\
[submodule "baselayer"]
\tpath = baselayer
\turl = ../baselayer.git
"""

_README_S0 = """\
# SkyPortal

An astronomical data platform: sources, photometry, spectra and follow-up.
"""
_README_S1 = _edit(
    _README_S0,
    "and follow-up.\n",
    "and follow-up.\n\nSee https://skyportal.io/docs for installation and the API reference.\n",
)

_SP_INIT_S0 = '''\
"""SkyPortal: an astronomical data platform."""

__version__ = "1.0.0"
'''
_SP_INIT_S1 = _edit(_SP_INIT_S0, '"1.0.0"', '"1.1.0"')
_SP_INIT_S2 = _edit(_SP_INIT_S0, '"1.0.0"', '"1.2.0"')

_SP_APP_SERVER_S0 = '''\
"""SkyPortal's tornado application: baselayer's app plus the SkyPortal API."""

from baselayer.app.app_server import make_app as make_baselayer_app
from skyportal.handlers import api

skyportal_handlers = [
    (r"/api/sources(/.*)?", api.SourceHandler),
    (r"/api/legacy/list", api.LegacyListHandler),
    (r"/api/legacy/ping", api.LegacyPingHandler),
]


def make_app(cfg):
    """Create the tornado app with SkyPortal's handlers after baselayer's."""
    app = make_baselayer_app(extra_handlers=skyportal_handlers)
    app.settings["max_body_size"] = cfg.get("app.max_body_size", 100 * 1024 * 1024)
    return app
'''
_SP_APP_SERVER_S1 = _edit(
    _SP_APP_SERVER_S0,
    "    return app\n",
    "    # Proxies drop idle websockets; ping them to keep them open.\n"
    '    app.settings["websocket_ping_interval"] = 30\n'
    "    return app\n",
)
_SP_APP_SERVER_S2 = _edit(
    _SP_APP_SERVER_S1,
    '    (r"/api/legacy/list", api.LegacyListHandler),\n'
    '    (r"/api/legacy/ping", api.LegacyPingHandler),\n',
    '    (r"/api/instrument(/[0-9]+)?", api.InstrumentHandler),\n',
)

_API_INIT_S0 = '''\
"""The SkyPortal REST API handlers."""

from .legacy import LegacyListHandler, LegacyPingHandler
from .source import SourceHandler

__all__ = ["LegacyListHandler", "LegacyPingHandler", "SourceHandler"]
'''
_API_INIT_S2 = '''\
"""The SkyPortal REST API handlers."""

from .instrument import InstrumentHandler
from .source import SourceHandler

__all__ = ["InstrumentHandler", "SourceHandler"]
'''

_MODELS_INIT = '''\
"""SkyPortal's database models, re-exported for the handlers."""

from baselayer.app.models import Base, DBSession, User, init_db
from skyportal.models.group import Group
from skyportal.models.instrument import Instrument, Telescope
from skyportal.models.source import Source

__all__ = ["Base", "DBSession", "Group", "Instrument", "Source", "Telescope", "User", "init_db"]
'''

_FACILITY_INIT = '''\
"""Follow-up facility APIs: one class per telescope network."""


class FollowUpAPI:
    """The interface every facility API implements."""

    @staticmethod
    def submit(request, session, **kwargs):
        """Send the follow-up request to the facility."""
        raise NotImplementedError

    @staticmethod
    def delete(request, session, **kwargs):
        """Withdraw a request the facility has not executed yet."""
        raise NotImplementedError

    @staticmethod
    def update(request, session, **kwargs):
        """Change a pending request."""
        raise NotImplementedError
'''

_SOURCE_S1 = '''\
"""API handlers for astronomical sources."""

from baselayer.app.access import auth_or_token, permissions
from skyportal.handlers.base import BaseHandler
from skyportal.models import DBSession, Source


def source_summary(source):
    """Short summary of a source for list views."""
    return {"id": source.id, "ra": source.ra, "dec": source.dec}


class SourceHandler(BaseHandler):
    @auth_or_token
    def get(self, obj_id=None):
        """Return one source, or the most recent ones."""
        if obj_id is not None:
            source = Source.get_if_accessible_by(obj_id, self.current_user)
            if source is None:
                return self.error(f"Cannot find source {obj_id}")
            return self.success(data=source_summary(source))
        sources = DBSession().query(Source).limit(100).all()
        return self.success(data=[source_summary(s) for s in sources])

    @permissions(["Manage sources"])
    def delete(self, obj_id):
        """Remove a source from all the user's groups."""
        source = Source.get_if_accessible_by(obj_id, self.current_user, mode="delete")
        DBSession().delete(source)
        self.verify_and_commit()
        return self.success()
'''
# The overlay edits source_summary (top), s2 edits delete (bottom): a clean merge.
_SOURCE_OVERLAY = _edit(
    _SOURCE_S1,
    '    return {"id": source.id, "ra": source.ra, "dec": source.dec}\n',
    '    summary = {"id": source.id, "ra": source.ra, "dec": source.dec}\n'
    '    summary["redshift"] = source.redshift  # GRANDMA: shown in the candidate list\n'
    "    return summary\n",
)
_SOURCE_S2 = _edit(
    _SOURCE_S1,
    '        source = Source.get_if_accessible_by(obj_id, self.current_user, mode="delete")\n',
    '        source = Source.get_if_accessible_by(obj_id, self.current_user, mode="delete")\n'
    "        if source is None:\n"
    '            return self.error(f"Cannot find source {obj_id}")\n',
)

_INITIAL_SETUP_S1 = '''\
"""Create the database, the default groups and the first admin user."""

import argparse

from baselayer.app.env import load_env
from skyportal.models import DBSession, Group, User, init_db

env, cfg = load_env()


def parse_args():
    parser = argparse.ArgumentParser(description="Initialize SkyPortal")
    parser.add_argument("--nodrop", action="store_true", help="keep existing tables")
    parser.add_argument("--adminuser", type=str, help="email of the first admin")
    return parser.parse_args()


def setup_groups(session):
    """Create the site-wide public group."""
    public = Group(name=cfg["misc.public_group_name"])
    session.add(public)
    return public


def setup_admin(session, email, public_group):
    """Make the first administrator and add them to the public group."""
    admin = User(username=email, role_ids=["Super admin"])
    public_group.users.append(admin)
    session.add(admin)


if __name__ == "__main__":
    args = parse_args()
    init_db(**cfg["database"])
    with DBSession() as session:
        public = setup_groups(session)
        if args.adminuser:
            setup_admin(session, args.adminuser, public)
        session.commit()
'''
# Both sides rewrite the public group's creation (one conflicting hunk); s2
# also changes setup_admin, which the overlay leaves alone (merges cleanly).
_INITIAL_SETUP_OVERLAY = _edit(
    _INITIAL_SETUP_S1,
    '    """Create the site-wide public group."""\n'
    '    public = Group(name=cfg["misc.public_group_name"])\n'
    "    session.add(public)\n",
    '    """Create the site-wide public group and the GRANDMA group."""\n'
    '    public = Group(name=cfg["misc.public_group_name"], private=False)\n'
    '    grandma = Group(name="GRANDMA", description="GRANDMA collaboration")\n'
    "    session.add_all([public, grandma])\n",
)
_INITIAL_SETUP_S2 = _edit(
    _edit(
        _INITIAL_SETUP_S1,
        '    public = Group(name=cfg["misc.public_group_name"])\n',
        '    public = Group(name=cfg["misc.public_group_name"], nickname="public")\n',
    ),
    '    admin = User(username=email, role_ids=["Super admin"])\n',
    '    admin = User(username=email, oauth_uid=email, role_ids=["Super admin"])\n',
)

_GROUP_S1 = '''\
"""Groups: sets of users sharing access to sources."""

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from baselayer.app.models import Base


class Group(Base):
    """A group of users who share sources and alerts."""

    name = sa.Column(sa.String, unique=True, nullable=False, doc="Name of the group.")
    nickname = sa.Column(sa.String, unique=True, nullable=True, doc="Short name.")
    private = sa.Column(sa.Boolean, nullable=False, default=False, doc="Hidden group?")
    single_user_group = sa.Column(sa.Boolean, default=False, doc="A user's own group.")
    users = relationship("User", secondary="group_users", back_populates="groups")
    streams = relationship("Stream", secondary="group_streams", back_populates="groups")

    def __repr__(self):
        return f"<Group {self.name!r}>"

    @property
    def member_count(self):
        """Number of users in the group."""
        return len(self.users)
'''
# s2 adopts exactly the overlay's change: the overlay file becomes droppable.
_GROUP_S2 = _edit(
    _GROUP_S1,
    '    nickname = sa.Column(sa.String, unique=True, nullable=True, doc="Short name.")\n',
    '    nickname = sa.Column(sa.String, unique=True, nullable=True, doc="Short name.")\n'
    '    description = sa.Column(sa.Text, nullable=True, doc="Longer description.")\n',
)
_GROUP_OVERLAY = _GROUP_S2

_CALCULATIONS_S1 = '''\
"""Astronomical helper calculations."""

import numpy as np

DEG_PER_RAD = 180.0 / np.pi


def great_circle_distance(ra1, dec1, ra2, dec2):
    """Angular distance in degrees between two points given in degrees."""
    ra1, dec1, ra2, dec2 = (np.radians(x) for x in (ra1, dec1, ra2, dec2))
    delta_ra = np.abs(ra2 - ra1)
    numerator = np.sqrt(
        (np.cos(dec2) * np.sin(delta_ra)) ** 2
        + (np.cos(dec1) * np.sin(dec2) - np.sin(dec1) * np.cos(dec2) * np.cos(delta_ra)) ** 2
    )
    denominator = np.sin(dec1) * np.sin(dec2) + np.cos(dec1) * np.cos(dec2) * np.cos(delta_ra)
    return np.arctan2(numerator, denominator) * DEG_PER_RAD


def radec_to_iau_name(ra, dec, prefix="J"):
    """IAU-style designation, e.g. J123456.78+123456.7."""
    hours = ra / 15.0
    hh, mm = int(hours), int((hours % 1) * 60)
    ss = ((hours * 60) % 1) * 60
    sign = "+" if dec >= 0 else "-"
    dd, dm = int(abs(dec)), int((abs(dec) % 1) * 60)
    ds = ((abs(dec) * 60) % 1) * 60
    return f"{prefix}{hh:02d}{mm:02d}{ss:05.2f}{sign}{dd:02d}{dm:02d}{ds:04.1f}"


def airmass(altitude_deg):
    """Plane-parallel airmass for an altitude in degrees."""
    return 1.0 / np.sin(np.radians(altitude_deg))
'''
# s2 moves the file to calc.py and edits the top; the overlay edits the bottom.
_CALC_S2 = _edit(
    _CALCULATIONS_S1,
    '"""Astronomical helper calculations."""\n',
    '"""Astronomical helper calculations (formerly skyportal.utils.calculations)."""\n',
)
_CALCULATIONS_OVERLAY = _edit(
    _CALCULATIONS_S1,
    "    return 1.0 / np.sin(np.radians(altitude_deg))\n",
    "    # GRANDMA schedules down to the horizon: clamp to avoid infinite airmass.\n"
    "    altitude = np.clip(altitude_deg, 1.0, 90.0)\n"
    "    return 1.0 / np.sin(np.radians(altitude))\n",
)

_LEGACY_S1 = '''\
"""Deprecated endpoints kept for old clients."""

import warnings

from skyportal.handlers.base import BaseHandler

DEPRECATION = "The /api/legacy endpoints are deprecated; use /api/sources instead."


class LegacyListHandler(BaseHandler):
    def get(self):
        """Old-style listing, redirected to the new endpoint."""
        warnings.warn(DEPRECATION, DeprecationWarning, stacklevel=2)
        self.set_header("Deprecation", "true")
        return self.redirect("/api/sources", permanent=False)


class LegacyPingHandler(BaseHandler):
    def get(self):
        """Health check used by pre-2021 monitoring scripts."""
        self.set_header("Deprecation", "true")
        return self.success(data={"pong": True})
'''
_LEGACY_OVERLAY = _edit(
    _LEGACY_S1,
    '        self.set_header("Deprecation", "true")\n'
    '        return self.success(data={"pong": True})\n',
    '        self.set_header("Deprecation", "true")\n'
    '        self.set_header("Sunset", "Wed, 31 Dec 2025 23:59:59 GMT")\n'
    '        return self.success(data={"pong": True, "site": "icare"})\n',
)

_INSTRUMENT_S2 = '''\
"""API handlers for instruments."""

from baselayer.app.access import auth_or_token, permissions
from skyportal.handlers.base import BaseHandler
from skyportal.models import DBSession, Instrument, Telescope


class InstrumentHandler(BaseHandler):
    @permissions(["Manage instruments"])
    def post(self):
        """Create an instrument on an existing telescope."""
        data = self.get_json()
        telescope = Telescope.get_if_accessible_by(data["telescope_id"], self.current_user)
        if telescope is None:
            return self.error("Invalid telescope ID")
        kind = data.get("type", "imager")
        instrument = Instrument(name=data["name"], type=kind, telescope=telescope)
        DBSession().add(instrument)
        self.verify_and_commit()
        return self.success(data={"id": instrument.id})

    @auth_or_token
    def get(self, instrument_id=None):
        """Return one instrument or all of them."""
        query = DBSession().query(Instrument)
        if instrument_id is not None:
            query = query.filter(Instrument.id == int(instrument_id))
        return self.success(data=query.all())
'''
_INSTRUMENT_OVERLAY = '''\
"""GRANDMA: a read-only list of the network's telescopes and their filters."""

from baselayer.app.access import auth_or_token
from skyportal.handlers.base import BaseHandler

GRANDMA_TELESCOPES = {
    "TCA": ["g", "r", "i"],
    "TCH": ["g", "r", "i"],
    "TRE": ["g", "r", "i", "z"],
    "KAO": ["B", "V", "R", "I"],
    "Abastumani": ["R", "I"],
}


class InstrumentHandler(BaseHandler):
    @auth_or_token
    def get(self):
        """List the telescopes of the GRANDMA network."""
        rows = [{"telescope": name, "filters": f} for name, f in GRANDMA_TELESCOPES.items()]
        return self.success(data=rows)
'''

_GRANDMA_API = '''\
"""GRANDMA follow-up API: observation requests to the network's scheduler."""

import json

import requests

from baselayer.app.env import load_env
from skyportal.facility_apis import FollowUpAPI

env, cfg = load_env()
GRANDMA_URL = cfg.get("app.grandma_endpoint", "https://grandma.example.org/api")


class GRANDMAAPI(FollowUpAPI):
    """Send follow-up requests to the GRANDMA scheduler."""

    @staticmethod
    def submit(request, session, **kwargs):
        payload = {
            "source": request.obj_id,
            "ra": request.obj.ra,
            "dec": request.obj.dec,
            "filters": request.payload.get("filters", ["g", "r"]),
            "priority": request.payload.get("priority", 1),
        }
        url = f"{GRANDMA_URL}/requests"
        response = requests.post(url, data=json.dumps(payload), timeout=30)
        response.raise_for_status()
        request.status = "submitted"
        session.add(request)

    @staticmethod
    def delete(request, session, **kwargs):
        requests.delete(f"{GRANDMA_URL}/requests/{request.id}", timeout=30)
        request.status = "deleted"
        session.add(request)
'''

_ENUM_TYPES = '''\
"""Enumerated types shared by the models and the API."""

import sqlalchemy as sa

ALLOWED_SPECTRUM_TYPES = ("source", "host", "host_center")
ALLOWED_MAGSYSTEMS = ("ab", "vega", "jla1", "csp")
THUMBNAIL_TYPES = ("new", "ref", "sub", "sdss", "dr8", "ps1", "other")
FOLLOWUP_PRIORITIES = ("1", "2", "3", "4", "5")
LISTENER_CLASSES = ("SpectrumListener", "PhotometryListener")


def make_enum(name, values):
    """A named PostgreSQL enum type over the given values."""
    return sa.Enum(*values, name=name, validate_strings=True)


allowed_spectrum_types = make_enum("spectrum_types", ALLOWED_SPECTRUM_TYPES)
allowed_magsystems = make_enum("magsystems", ALLOWED_MAGSYSTEMS)
thumbnail_types = make_enum("thumbnail_types", THUMBNAIL_TYPES)
followup_priorities = make_enum("followup_priorities", FOLLOWUP_PRIORITIES)
'''
_ENUM_TYPES_OVERLAY = _edit(
    _ENUM_TYPES,
    '"ps1", "other")',
    '"ps1", "ls", "other")',
)

_CHECK_ENV = """\
#!/usr/bin/env bash
# Check that the tools SkyPortal needs are installed before building.
set -euo pipefail

missing=0
for tool in python3 node npm psql nginx supervisord; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "missing: $tool" >&2
        missing=1
    fi
done

python3 - <<'EOF'
import sys
if sys.version_info < (3, 8):
    sys.exit("Python >= 3.8 is required")
EOF

exit "$missing"
"""
_CHECK_ENV_OVERLAY = _edit(_CHECK_ENV, "nginx supervisord;", "nginx supervisord docker;")

_LOGO_S1 = _png(0x1F, 0x4E, 0x79)
_LOGO_OVERLAY = _png(0xE0, 0x6C, 0x00)  # GRANDMA orange
_LOGO_S2 = _png(0x26, 0x5C, 0x8F)

_EXPECTED = {
    "baselayer/app/app_server.py": "clean",
    "baselayer/app/auth/IAMOAuth2.py": "unchanged",
    "skyportal/enum_types.py": "unchanged",
    "skyportal/facility_apis/grandma_api.py": "unchanged",
    "skyportal/handlers/api/instrument.py": "added-upstream",
    "skyportal/handlers/api/legacy.py": "deleted-upstream",
    "skyportal/handlers/api/source.py": "clean",
    "skyportal/initial_setup.py": "conflict",
    "skyportal/models/group.py": "converged",
    "skyportal/utils/calculations.py": "renamed-upstream",
    "static/img/logo.png": "binary",
    "tools/check_env.sh": "unchanged",
}
_RENAMED_TO = {"skyportal/utils/calculations.py": "skyportal/utils/calc.py"}

_OVERLAY = {
    "baselayer/app/app_server.py": _BL_APP_SERVER_OVERLAY.encode(),
    "baselayer/app/auth/IAMOAuth2.py": _IAM_OAUTH2.encode(),
    "skyportal/enum_types.py": _ENUM_TYPES_OVERLAY.encode(),
    "skyportal/facility_apis/grandma_api.py": _GRANDMA_API.encode(),
    "skyportal/handlers/api/instrument.py": _INSTRUMENT_OVERLAY.encode(),
    "skyportal/handlers/api/legacy.py": _LEGACY_OVERLAY.encode(),
    "skyportal/handlers/api/source.py": _SOURCE_OVERLAY.encode(),
    "skyportal/initial_setup.py": _INITIAL_SETUP_OVERLAY.encode(),
    "skyportal/models/group.py": _GROUP_OVERLAY.encode(),
    "skyportal/utils/calculations.py": _CALCULATIONS_OVERLAY.encode(),
    "static/img/logo.png": _LOGO_OVERLAY,
    "tools/check_env.sh": _CHECK_ENV_OVERLAY.encode(),
}
_BASE_S0_PATHS = frozenset({"skyportal/enum_types.py"})


def _build_upstreams(work: Path, remotes: Path, clock: Iterator[int]) -> dict[str, str]:
    """Commit b1, b2 and s0..s2 in working repos under *work*, push them to bare *remotes*."""
    commits: dict[str, str] = {}
    baselayer = work / "baselayer"
    skyportal = work / "skyportal"
    for repo in (baselayer, skyportal):
        repo.mkdir(parents=True)
        # An empty template: no sample hooks to copy, the repos are thrown away.
        git(repo, "init", "-q", "--template=")

    commits["b1"] = commit_files(
        baselayer,
        {
            "README.md": _BL_README.encode(),
            "app/__init__.py": _BL_INIT.encode(),
            "app/env.py": _BL_ENV.encode(),
            "app/app_server.py": _BL_APP_SERVER_B1.encode(),
        },
        "Initial baselayer: tornado app factory and config loader",
        when=next(clock),
    )

    # The nested submodule is a gitlink plus .gitmodules; no clone is needed
    # to record it, which keeps generation fast.
    git(skyportal, "update-index", "--add", "--cacheinfo", f"160000,{commits['b1']},baselayer")
    commits["s0"] = commit_files(
        skyportal,
        {
            ".gitmodules": _GITMODULES.encode(),
            "README.md": _README_S0.encode(),
            "skyportal/__init__.py": _SP_INIT_S0.encode(),
            "skyportal/app_server.py": _SP_APP_SERVER_S0.encode(),
            "skyportal/enum_types.py": _ENUM_TYPES.encode(),
            "skyportal/initial_setup.py": _INITIAL_SETUP_S1.encode(),
            "skyportal/facility_apis/__init__.py": _FACILITY_INIT.encode(),
            "skyportal/handlers/api/__init__.py": _API_INIT_S0.encode(),
            "skyportal/handlers/api/legacy.py": _LEGACY_S1.encode(),
            "skyportal/handlers/api/source.py": _SOURCE_S1.encode(),
            "skyportal/models/__init__.py": _MODELS_INIT.encode(),
            "skyportal/models/group.py": _GROUP_S1.encode(),
            "skyportal/utils/calculations.py": _CALCULATIONS_S1.encode(),
            "static/img/logo.png": _LOGO_S1,
            "tools/check_env.sh": _CHECK_ENV.encode(),
        },
        "SkyPortal 1.0",
        modes={"tools/check_env.sh": 0o755},
        when=next(clock),
    )
    # s0 -> s1 touches only files the overlay has no copy of.
    commits["s1"] = commit_files(
        skyportal,
        {
            "README.md": _README_S1.encode(),
            "skyportal/__init__.py": _SP_INIT_S1.encode(),
            "skyportal/app_server.py": _SP_APP_SERVER_S1.encode(),
        },
        "Keep websockets alive behind proxies; link the docs",
        when=next(clock),
    )

    commits["b2"] = commit_files(
        baselayer,
        {"app/app_server.py": _BL_APP_SERVER_B2.encode()},
        "Expose the parsed command-line env on the app",
        when=next(clock),
    )

    git(skyportal, "update-index", "--cacheinfo", f"160000,{commits['b2']},baselayer")
    commits["s2"] = commit_files(
        skyportal,
        {
            "skyportal/__init__.py": _SP_INIT_S2.encode(),
            "skyportal/app_server.py": _SP_APP_SERVER_S2.encode(),
            "skyportal/initial_setup.py": _INITIAL_SETUP_S2.encode(),
            "skyportal/handlers/api/__init__.py": _API_INIT_S2.encode(),
            "skyportal/handlers/api/instrument.py": _INSTRUMENT_S2.encode(),
            "skyportal/handlers/api/legacy.py": None,
            "skyportal/handlers/api/source.py": _SOURCE_S2.encode(),
            "skyportal/models/group.py": _GROUP_S2.encode(),
            "skyportal/utils/calculations.py": None,
            "skyportal/utils/calc.py": _CALC_S2.encode(),
            "static/img/logo.png": _LOGO_S2,
        },
        "SkyPortal 1.2: instrument API, group descriptions, drop legacy endpoints",
        when=next(clock),
    )

    for name, repo in (("baselayer.git", baselayer), ("skyportal.git", skyportal)):
        bare = remotes / name
        git(remotes, "init", "-q", "--bare", name)
        git(repo, "push", "-q", str(bare), "main")
    return commits


def _build_deployment(
    deployment: Path, upstream_remote: Path, commits: Mapping[str, str], when: int
) -> None:
    """Clone the upstream as a submodule pinned at s1 and commit the overlay."""
    deployment.mkdir()
    git(deployment, "init", "-q")
    # The clone checks out origin/main (s2); move the local branch main back
    # to s1 so that main@{upstream} (origin/main, s2) is the next bump target.
    git(deployment, "submodule", "add", "-q", str(upstream_remote), UPSTREAM_DIR)
    upstream = deployment / UPSTREAM_DIR
    git(upstream, "reset", "-q", "--hard", commits["s1"])
    git(deployment, "add", UPSTREAM_DIR)
    # Initializes the nested baselayer at s1's gitlink (b1), detached; the
    # already-matching skyportal checkout (branch main) is left as it is.
    git(deployment, "submodule", "update", "-q", "--init", "--recursive")

    write_base_file(
        deployment / BASE_FILE,
        {path: commits["s0"] if path in _BASE_S0_PATHS else commits["s1"] for path in _OVERLAY},
    )
    git(deployment, "add", BASE_FILE)
    files: dict[str, bytes | None] = {f"{OVERLAY_DIR}/{p}": data for p, data in _OVERLAY.items()}
    files[".gitignore"] = b"/patched_skyportal/\n"
    commit_files(
        deployment,
        files,
        "Vendor SkyPortal at 1.1 with the Icare overlay",
        modes={f"{OVERLAY_DIR}/tools/check_env.sh": 0o755},
        when=when,
    )


def make_sample(root: Path) -> Sample:
    """Generate the sample deployment and its upstream remotes under *root*.

    *root* must be empty or not exist.  On failure whatever was created
    under it is removed again.  Raises :class:`OverlayMergeError` when *root*
    is not usable.
    """
    root = root.absolute()
    if root.exists() and not root.is_dir():
        raise OverlayMergeError(
            f"{root}: exists and is not a folder; the sample needs an empty folder",
            "give `overlay-merge demo` a new folder name",
        )
    if root.is_dir() and any(root.iterdir()):
        raise OverlayMergeError(
            f"{root}: not empty; the sample is only generated into an empty or new folder",
            "give `overlay-merge demo` a new folder name",
        )
    root.mkdir(parents=True, exist_ok=True)
    remotes = root / "remotes"
    deployment = root / "deployment"
    work = root / ".work"
    # One shared clock: commits of both upstreams are an hour apart, in the
    # order they were "made" (b2 before the s2 that bumps to it).
    clock = itertools.count(SAMPLE_EPOCH, _HOUR)
    try:
        remotes.mkdir()
        commits = _build_upstreams(work, remotes, clock)
        shutil.rmtree(work)
        _build_deployment(deployment, remotes / "skyportal.git", commits, next(clock))
    except BaseException:
        # root was empty at the start: everything in it is ours to remove.
        for child in root.iterdir():
            shutil.rmtree(child, ignore_errors=True)
        raise
    return Sample(
        root=root,
        deployment=deployment,
        upstream_remote=remotes / "skyportal.git",
        baselayer_remote=remotes / "baselayer.git",
        commits=MappingProxyType(commits),
        expected=MappingProxyType(dict(_EXPECTED)),
        renamed_to=MappingProxyType(dict(_RENAMED_TO)),
    )
