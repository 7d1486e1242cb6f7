"""One settings object with nested groups (env prefix ECOSENTINEL_, nested with ``__``), injected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ecosentinel.errors import ConfigError

LOCAL_SECRET = "local-development-only"
MIN_SECRET_LENGTH = 32


class IngestSettings(BaseModel):
    """HJ 212 TCP receiver."""

    host: str = "127.0.0.1"
    port: int = 9212
    # a logger sends at least every minute; 5 min without a complete frame closes it (bytes that do not
    # complete a frame never reset this clock, so a trickle cannot keep a connection open)
    idle_timeout_s: float = 300.0
    frame_timeout_s: float = 30.0  # a frame must complete within this long of its first byte
    max_connections: int = 4096  # in total (capped below the process's file-descriptor limit)
    max_connections_per_address: int = 256  # loggers behind one carrier NAT share an address
    max_bad_frames_per_connection: int = 16  # then the connection is answered and closed
    max_bad_frames_per_address: int = 256  # per address and budget interval; then refused for a while
    address_ban_s: float = 60.0  # how long an address over its budget has new connections refused
    reject_sample_interval_s: float = 60.0  # at most one stored row and log line per (address, reason)
    max_packet_bytes: int = 4096  # 2017 allows 1024 bytes of data segment; leave room for 2005 loggers
    max_pending_per_connection: int = 64  # back-pressure: stop reading when this many await the store
    # and every connection of the process stops reading while this many packets await the store in total
    # (the writer queue is bounded; TCP flow control then holds the loggers back)
    max_queued_packets: int = 8000
    max_queued_rejected: int = (
        1000  # sampled rejected-packet log rows waiting; beyond it they are only counted
    )
    reuse_port: bool = False  # SO_REUSEPORT: several receiver processes share the port (--processes N)
    batch_max_packets: int = 2000  # group commit: at most this many packets per durable write
    batch_max_delay_ms: float = 5.0  # and at most this long waiting for more
    # Journal mode (docs/ingest.md): acknowledge after an fsync'd append to a packet journal; a loader process
    # stores the packets behind. Off: acknowledge after the store's own commit.
    journal: bool = False
    journal_dir: Path | None = None  # None: data_dir / "journal"
    journal_max_backlog_mb: float = 1024.0  # the loader this far behind: every connection stops reading
    journal_loader_nice: int = 10  # where SCHED_IDLE is not available: the loader yields the CPU to receivers


class DataTimeSettings(BaseModel):
    """Plausible reading times, for every way a reading arrives (HJ 212 DataTime, imported CSV rows).

    A time later than now + ``future_tolerance_s`` or earlier than ``earliest`` is refused; live uploads
    (HJ 212) are also refused when older than the age limit of their kind (None = no limit). Loggers keep
    about a year of history and re-send it after an outage, so only real-time data has a short limit.
    """

    future_tolerance_s: float = 600.0  # clocks drift; 10 minutes ahead is accepted
    earliest: dt.date = dt.date(2000, 1, 1)
    max_age_rtd_days: float | None = 7.0  # CN 2011 real-time data
    max_age_minute_days: float | None = 400.0  # CN 2051
    max_age_hour_days: float | None = None  # CN 2061
    max_age_day_days: float | None = None  # CN 2031


class ScreeningSettings(BaseModel):
    """Scheduled screening inside the server (incremental on new data; full patrol pass, seed 004)."""

    enabled: bool = True
    interval_s: float = 300.0  # incremental pass: points with readings newer than their last screened time
    full_interval_s: float = 7200.0  # full pass over every point (the 2-hour patrol)
    lookback_hours: float = 24.0  # incremental passes re-screen this much before a point's new data
    full_window_hours: float = 24.0  # a full pass screens the last this-many hours of data
    context_hours: float = 192.0  # readings before each window the rules see (a day against the week before)
    workers: int = 1  # 1 = in a background thread; N = a pool of N processes
    config_path: Path | None = None  # screening rule overrides (YAML); None = sourced defaults


class ForwardTargetSettings(BaseModel):
    """An upstream platform configured in the settings (synchronised into the database at start-up)."""

    name: str
    host: str
    port: int
    cns: str = "2011,2051,2061,2031"
    enabled: bool = True


class InteropSettings(BaseModel):
    """Upstream forwarding, remote commands (反控) and back-fill (docs/interop.md)."""

    forward_enabled: bool = True  # run the forwarders of the enabled targets in serve / ingest
    forward_targets: list[ForwardTargetSettings] = Field(default_factory=list)
    forward_poll_s: float = 0.5  # new packets are queued and sent at most this late
    forward_window: int = 32  # packets in flight per target
    forward_ack_timeout_s: float = 10.0  # no 9014 within this: the connection is dropped and re-opened
    forward_backoff_initial_s: float = 1.0
    forward_backoff_max_s: float = 60.0
    forward_connect_timeout_s: float = 5.0
    forward_keep_acked_days: float = 7.0
    command_answer_timeout_s: float = 30.0  # no 9011 within this after sending: timed out
    command_result_timeout_s: float = 300.0  # no 9012 within this after sending: timed out
    command_queue_timeout_s: float = 600.0  # not sent (logger not connected) within this: expired
    backfill_enabled: bool = True
    backfill_interval_s: float = 60.0  # how often gaps are looked for
    backfill_lookback_hours: float = 48.0  # how far back gaps are looked for
    backfill_settle_minutes: float = 15.0  # the newest minutes are not a gap yet (late packets)
    backfill_max_span_hours: float = 6.0  # one request covers at most this much
    backfill_max_per_minute: int = 2  # requests sent per minute, platform-wide (the rate bound)
    backfill_retry_hours: float = 6.0  # a range already requested is not requested again before this
    backfill_points_per_pass: int = 200  # connected points looked at per pass (round robin)


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    # Session cookie only over HTTPS; None = on outside local use (a reverse proxy terminates TLS).
    secure_cookies: bool | None = None
    # Origins (scheme://host[:port]) besides the platform's own that may send state-changing requests with
    # the session cookie (e.g. the public name behind a reverse proxy).
    trusted_origins: list[str] = Field(default_factory=list)
    login_max_failures: int = 5  # wrong passwords per account within the window before a lockout
    login_ip_max_failures: int = 20  # wrong passwords from one address within the window (any account)
    login_window_s: float = 900.0  # the window, and how long a lockout lasts


class Settings(BaseSettings):
    """All configuration of one installation. Everything lives under ``data_dir``."""

    model_config = SettingsConfigDict(env_prefix="ECOSENTINEL_", env_nested_delimiter="__")

    env: str = "local"  # "local" allows the development secret; anything else refuses it
    data_dir: Path = Field(default_factory=lambda: Path("data"))
    database_url: str | None = None  # None: SQLite file under data_dir (embedded default)
    secret_key: str = LOCAL_SECRET
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    data_time: DataTimeSettings = Field(default_factory=DataTimeSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    screening: ScreeningSettings = Field(default_factory=ScreeningSettings)
    interop: InteropSettings = Field(default_factory=InteropSettings)
    archive_dir: Path | None = None  # the Parquet archive (docs/archive.md); None: data_dir / "archive"
    archive_interval_s: float = 3600.0  # the receiver's archiver seals closed days this often; 0 = off
    # XYZ raster tile template for the map page (一张图), e.g. https://tiles.example/{z}/{x}/{y}.png;
    # empty: the plain offline outline (nothing is fetched from outside)
    map_tile_url: str = ""
    reporting_unit: str = ""  # 填报单位 of the report forms (else the unit of the first 附表1 contact)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ecosentinel.db').resolve()}"

    @property
    def is_local(self) -> bool:
        return self.env == "local"

    @property
    def secure_cookies(self) -> bool:
        return self.web.secure_cookies if self.web.secure_cookies is not None else not self.is_local

    def check(self) -> None:
        """Refuse unsafe settings outside local use: the secret keys the audit chain (HMAC), so it must be a
        real one (at least 32 characters, not the development value)."""
        if self.is_local:
            return
        if self.secret_key == LOCAL_SECRET or len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"ECOSENTINEL_SECRET_KEY must be a real secret of at least {MIN_SECRET_LENGTH} characters "
                "when ECOSENTINEL_ENV is not 'local' "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )

    @property
    def audit_anchor_path(self) -> Path:
        """Where the audit chain's anchors are appended (outside the database)."""
        return self.data_dir / "audit-anchors.jsonl"

    @property
    def effective_journal_dir(self) -> Path:
        return self.ingest.journal_dir if self.ingest.journal_dir is not None else self.data_dir / "journal"

    @property
    def effective_archive_dir(self) -> Path:
        return self.archive_dir if self.archive_dir is not None else self.data_dir / "archive"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)


def get_settings() -> Settings:
    """Read settings from the environment (call once at an edge, then inject)."""
    return Settings()
