"""The review console (docs/CONSOLE.md): officers' accounts and sessions, the body's inbox,
case handling, administration, and the deadline job. Report content is never decrypted here:
the console's pages do that on the officer's device (web/console/)."""
