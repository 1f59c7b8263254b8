"""Stage 2: the typed plan. `options` holds what a user chooses, `shared` what every target derives from the
project the same way, `dockerfile` the image's plan that every target builds on."""

from quayside.plan.dockerfile import DockerfilePlan, build_plan
from quayside.plan.options import Database, InitOptions, Proxy, Style, Target
from quayside.plan.shared import build_command, project_name

__all__ = ["Database", "DockerfilePlan", "InitOptions", "Proxy", "Style", "Target", "build_command", "build_plan",
           "project_name"]
