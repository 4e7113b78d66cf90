"""Create or update doccano's admin user; run by the server venv's python in doccano's backend folder.

The login comes from $DOCCANO_USERNAME and $DOCCANO_PASSWORD, so the password
never stands on a command line (`doccano createuser --password` would show it
to `ps`). An existing user gets the password from the environment, so the
admin's password always follows the project's .env.
"""

import os

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402 (needs django.setup())

username, password = os.environ["DOCCANO_USERNAME"], os.environ["DOCCANO_PASSWORD"]
users = get_user_model().objects
user = users.filter(username=username).first() or users.create_superuser(username=username, email="", password=password)
user.set_password(password)
user.save()
print(f"admin user {username} is ready")
