"""The cloud targets' files: ECS and Railway are JSON built as data (their schemas are strict about types); the
others are templates."""

from __future__ import annotations

import json
import shlex

from quayside.plan.options import Target
from quayside.render import render
from quayside.targets.cloud.plan import MAIN_FILE, CloudPlan


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
    if c.config:
        container["environment"] = [{"name": name, "value": value} for name, value in c.config]
    if c.secrets:
        # from Secrets Manager, never the task definition's environment
        container["secrets"] = [{"name": name, "valueFrom": "arn:aws:secretsmanager:REGION:ACCOUNT_ID:secret:"
                                 f"{c.name}/{name.lower().replace('_', '-')}"} for name in c.secrets]
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
        deploy["preDeployCommand"] = [shlex.join(c.migrate)]
    return {"$schema": "https://railway.com/railway.schema.json",
            "build": {"builder": "DOCKERFILE", "dockerfilePath": "Dockerfile"}, "deploy": deploy}


_TEMPLATE = {Target.CLOUDRUN: "cloudrun-service.yaml", Target.ACI: "aci.yaml", Target.FLY: "fly.toml",
             Target.RENDER: "render.yaml"}


def render_cloud_files(c: CloudPlan) -> dict[str, str]:
    main = MAIN_FILE[c.target]
    if c.target is Target.ECS:
        text = json.dumps(_ecs_task_definition(c), indent=2) + "\n"
    elif c.target is Target.RAILWAY:
        text = json.dumps(_railway(c), indent=2) + "\n"
    else:
        text = render(f"cloud/{_TEMPLATE[c.target]}.j2", c=c)
    files = {main: text, "DEPLOY.md": render("cloud/DEPLOY.md.j2", c=c)}
    if c.target is Target.CLOUDRUN and c.migrate:
        files["deploy/cloudrun/migrate-job.yaml"] = render("cloud/cloudrun-job.yaml.j2", c=c)
    return files
