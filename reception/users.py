"""Staff accounts: `python -m reception.users add NAME [--role owner]`, `list`, `remove NAME`.

The password is read from RECEPTION_PASSWORD when set (scripts, tests), else from standard
input when it is not a terminal, else asked for twice without echo.
"""

import argparse
import getpass
import os
import sys

import sqlalchemy as sa

from reception import auth, db


def _password() -> str:
    if os.environ.get("RECEPTION_PASSWORD"):
        return os.environ["RECEPTION_PASSWORD"]
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (at least %d characters): " % auth.PASSWORD_MIN)
    if getpass.getpass("Again: ") != first:
        sys.exit("The two passwords differ; nothing changed.")
    return first


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reception.users", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create a user, or set a new password")
    add.add_argument("username")
    add.add_argument("--role", choices=["staff", "owner"], default="staff",
                     help="owner also sees the dashboard and the audit log")
    remove = commands.add_parser("remove", help="delete a user and end their sessions")
    remove.add_argument("username")
    commands.add_parser("list", help="list the users")
    args = parser.parse_args(argv)
    engine = db.reception_engine()
    if args.command == "add":
        try:
            auth.add_user(engine, args.username, _password(), args.role)
        except auth.UserError as error:
            sys.exit(str(error))
        print(f"user {args.username} ({args.role}) saved")
    elif args.command == "remove":
        with engine.begin() as connection:
            user = connection.execute(sa.select(db.users.c.id).where(
                db.users.c.username == args.username)).first()
            if user is None:
                sys.exit(f"no user {args.username}")
            connection.execute(db.sessions.delete().where(db.sessions.c.user_id == user.id))
            connection.execute(db.users.delete().where(db.users.c.id == user.id))
        print(f"user {args.username} removed")
    else:
        with engine.connect() as connection:
            for row in connection.execute(sa.select(db.users).order_by(db.users.c.username)):
                print(f"{row.username}\t{row.role}\tcreated {row.created_at:%Y-%m-%d}")


if __name__ == "__main__":
    main()
