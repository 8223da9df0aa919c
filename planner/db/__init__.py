"""The planner's database: accounts, sign-in attempts, store requests and run history (planner.db.database)."""

from planner.db.database import (
    FULL_OR_READ_ONLY,
    URL_VARIABLE,
    Base,
    Database,
    ForeignDatabase,
    LoginAttempt,
    RequestEvent,
    Run,
    RunLine,
    StoreRequest,
    User,
    claim_data_folder,
    connect,
    database_url,
    default_url,
    made_for,
    open_database,
    record_data_folder,
    shown_url,
    sqlite_file,
    utc_now,
)

__all__ = ["FULL_OR_READ_ONLY", "URL_VARIABLE", "Base", "Database", "ForeignDatabase", "LoginAttempt", "RequestEvent", "Run", "RunLine", "StoreRequest", "User", "claim_data_folder", "connect", "database_url", "default_url", "made_for", "open_database", "record_data_folder", "shown_url", "sqlite_file", "utc_now"]
