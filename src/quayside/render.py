"""Render the plan into files with jinja2 (StrictUndefined: a missing value is a bug, never an empty string)."""

from __future__ import annotations

import json

import jinja2

from quayside.cloudplan import FILES as CLOUD_FILES
from quayside.cloudplan import CloudPlan
from quayside.composeplan import ComposePlan
from quayside.kubeplan import OVERLAYS, KubePlan
from quayside.plan import DockerfilePlan
from quayside.swarmplan import STACK_FILE, SwarmPlan

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("quayside", "templates"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)
_env.filters["exec_form"] = lambda argv: json.dumps(list(argv), ensure_ascii=False)
# BuildKit bind mounts (relative targets land in WORKDIR): the files never become a layer
_env.filters["bind_mounts"] = lambda files: "\n".join(f"    --mount=type=bind,source={f},target={f} \\" for f in files)


def _tidy(text: str) -> str:
    # templates branch a lot; collapse the blank runs they leave so output is stable and readable
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() == "" and (not lines or lines[-1] == ""):
            continue
        lines.append(line.rstrip())
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def render_dockerfile(plan: DockerfilePlan) -> str:
    return _tidy(_env.get_template(f"Dockerfile.{plan.style.value}.j2").render(plan=plan))


def render_dockerignore() -> str:
    return _tidy(_env.get_template("dockerignore.j2").render())


def render_files(plan: DockerfilePlan) -> dict[str, str]:
    return {"Dockerfile": render_dockerfile(plan), ".dockerignore": render_dockerignore()}


def render_compose_files(compose: ComposePlan) -> dict[str, str]:
    files = {"compose.yaml": _tidy(_env.get_template("compose.yaml.j2").render(c=compose)),
             "DEPLOY.md": _tidy(_env.get_template("DEPLOY.md.j2").render(c=compose))}
    if compose.proxy == "nginx":
        files["nginx/default.conf"] = _tidy(_env.get_template("nginx.conf.j2").render(c=compose))
    return files


def render_compose(compose: ComposePlan) -> str:
    return render_compose_files(compose)["compose.yaml"]


def render_kubernetes_files(k: KubePlan) -> dict[str, str]:
    def tpl(name: str, **extra: object) -> str:
        return _tidy(_env.get_template(f"k8s/{name}.j2").render(k=k, **extra))

    files = {f"k8s/base/{name}": tpl(name) for name in
             ("kustomization.yaml", "configmap.yaml", "deployment.yaml", "service.yaml", "ingress.yaml", "hpa.yaml", "pdb.yaml")}
    for overlay in OVERLAYS:
        files[f"k8s/overlays/{overlay}/kustomization.yaml"] = tpl("overlay.yaml", overlay=overlay)
    files["k8s/cluster/cluster-issuer.yaml"] = tpl("cluster-issuer.yaml")
    if k.migrate:
        files["k8s/migrate/kustomization.yaml"] = tpl("migrate-kustomization.yaml")
        files["k8s/migrate/job.yaml"] = tpl("migrate-job.yaml")
    return files


def render_swarm_files(s: SwarmPlan) -> dict[str, str]:
    return {STACK_FILE: _tidy(_env.get_template("stack.yaml.j2").render(s=s)),
            "DEPLOY.md": _tidy(_env.get_template("DEPLOY.swarm.md.j2").render(s=s))}


def _ecs_task_definition(c: CloudPlan) -> dict[str, object]:
    container: dict[str, object] = {
        "name": "app",
        "image": f"ACCOUNT_ID.dkr.ecr.REGION.amazonaws.com/{c.name}:latest",
        "essential": True,
        "portMappings": [{"name": "http", "containerPort": c.port, "protocol": "tcp", "appProtocol": "http"}],
        # numeric, like the image's USER: ECS runs the same non-root user
        "user": f"{c.uid}:{c.uid}",
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
        "memory": c.memory_mb,
        "stopTimeout": c.grace_seconds,
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": f"/ecs/{c.name}", "awslogs-region": "REGION",
            "awslogs-stream-prefix": "app", "awslogs-create-group": "true"}},
    }
    if c.healthcheck:
        container["healthCheck"] = {"command": ["CMD", *c.healthcheck], "interval": 10, "timeout": 5, "retries": 3, "startPeriod": 30}
    if c.database:
        container["secrets"] = [{"name": "DATABASE_URL",
                                 "valueFrom": f"arn:aws:secretsmanager:REGION:ACCOUNT_ID:secret:{c.name}/database-url"}]
    return {
        "family": c.name,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "512",
        "memory": "1024",
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        "executionRoleArn": "arn:aws:iam::ACCOUNT_ID:role/ecsTaskExecutionRole",
        "containerDefinitions": [container],
        "volumes": [{"name": "tmp"}],
    }


def _railway(c: CloudPlan) -> dict[str, object]:
    deploy: dict[str, object] = {
        "healthcheckPath": c.ready_path,
        "healthcheckTimeout": 100,
        "restartPolicyType": "ON_FAILURE",
        "restartPolicyMaxRetries": 10,
        "drainingSeconds": c.grace_seconds,
    }
    if c.migrate:
        deploy["preDeployCommand"] = [" ".join(c.migrate)]
    return {"$schema": "https://railway.com/railway.schema.json",
            "build": {"builder": "DOCKERFILE", "dockerfilePath": "Dockerfile"}, "deploy": deploy}


def render_cloud_files(c: CloudPlan) -> dict[str, str]:
    main = CLOUD_FILES[c.target][0]
    if c.target == "ecs":
        text = json.dumps(_ecs_task_definition(c), indent=2) + "\n"
    elif c.target == "railway":
        text = json.dumps(_railway(c), indent=2) + "\n"
    else:
        name = {"cloudrun": "cloudrun-service.yaml", "aci": "aci.yaml", "fly": "fly.toml", "render": "render.yaml"}[c.target]
        text = _tidy(_env.get_template(f"cloud/{name}.j2").render(c=c))
    files = {main: text, "DEPLOY.md": _tidy(_env.get_template("DEPLOY.cloud.md.j2").render(c=c))}
    if c.target == "cloudrun" and c.migrate:
        files["deploy/cloudrun/migrate-job.yaml"] = _tidy(_env.get_template("cloud/cloudrun-job.yaml.j2").render(c=c))
    return files
