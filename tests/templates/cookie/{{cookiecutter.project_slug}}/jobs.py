"""Background jobs of {{ cookiecutter.project_name }}."""
