"""Helpers shared by several test files: the chat as the e2e tests drive it (`chat`), a scripted browser-use
agent (`agent_model`), documents (`documents`), rows written straight to PostgreSQL (`seed`), and database
URLs (`database`). A test file imports its helpers from here, never from another test file; fixtures live in
tests/conftest.py and tests/plugins/, fakes of outside services in tests/fakes/."""

ALLOWED_USER = 4242  # the one user the test settings allow
STRANGER = 666  # a user they do not
CHROMIUM = "/usr/bin/chromium"
