"""The launch template's data and the Auto Scaling group's instance choice, from the settings.

What most organisations' policies require on day one is the default or one setting away:
IMDSv2 only (``HttpTokens=required``, hop limit 2), encrypted EBS volumes (with a KMS key when
given), a network interface with or without a public IP, an instance profile, detailed
monitoring. Several instance types or any Spot capacity make a mixed instances policy.
"""

from __future__ import annotations

from typing import Any

from cloudrig_aws.settings import AwsServerGroupSettings, BlockDevice


def _ebs(device: BlockDevice) -> dict[str, Any]:
    ebs: dict[str, Any] = {
        "VolumeType": device.volume_type,
        "Encrypted": device.encrypted,
        "DeleteOnTermination": device.delete_on_termination,
    }
    optional = {
        "VolumeSize": device.volume_size,
        "Iops": device.iops,
        "Throughput": device.throughput,
        "KmsKeyId": device.kms_key_id,
        "SnapshotId": device.snapshot_id,
    }
    return ebs | {k: v for k, v in optional.items() if v is not None}


def template_data(
    settings: AwsServerGroupSettings,
    *,
    image_id: str,
    security_group_ids: list[str],
    user_data: str | None,
    instance_tags: list[dict[str, str]],
) -> dict[str, Any]:
    """``LaunchTemplateData`` of a server group's launch template."""
    imds = settings.metadata_options
    data: dict[str, Any] = {
        "ImageId": image_id,
        "TagSpecifications": [{"ResourceType": "instance", "Tags": instance_tags}],
        "MetadataOptions": {
            "HttpTokens": imds.http_tokens,
            "HttpPutResponseHopLimit": imds.hop_limit,
            "HttpEndpoint": imds.endpoint,
            "InstanceMetadataTags": "enabled" if imds.instance_tags else "disabled",
        },
        "Monitoring": {"Enabled": settings.detailed_monitoring},
    }
    if not settings.mixed:
        data["InstanceType"] = settings.instance_type
    if user_data is not None:
        data["UserData"] = user_data
    if settings.block_devices:
        data["BlockDeviceMappings"] = [
            {"DeviceName": d.device_name, "Ebs": _ebs(d)} for d in settings.block_devices
        ]
    if settings.associate_public_ip is not None:
        interface: dict[str, Any] = {
            "DeviceIndex": 0,
            "AssociatePublicIpAddress": settings.associate_public_ip,
            "DeleteOnTermination": True,
        }
        if security_group_ids:
            interface["Groups"] = security_group_ids
        data["NetworkInterfaces"] = [interface]
    elif security_group_ids:
        data["SecurityGroupIds"] = security_group_ids
    if settings.key_name:
        data["KeyName"] = settings.key_name
    if settings.iam_instance_profile:
        key = "Arn" if settings.iam_instance_profile.startswith("arn:") else "Name"
        data["IamInstanceProfile"] = {key: settings.iam_instance_profile}
    return data


def instance_choice(settings: AwsServerGroupSettings, template: str) -> dict[str, Any]:
    """The CreateAutoScalingGroup arguments that choose instances: the launch template alone, or
    a mixed instances policy over it (On-Demand base and share, Spot strategy)."""
    spec = {"LaunchTemplateName": template, "Version": "$Latest"}
    if not settings.mixed:
        return {"LaunchTemplate": spec}
    types = settings.instance_types or (settings.instance_type,)
    return {
        "MixedInstancesPolicy": {
            "LaunchTemplate": {
                "LaunchTemplateSpecification": spec,
                "Overrides": [{"InstanceType": t} for t in types],
            },
            "InstancesDistribution": {
                "OnDemandBaseCapacity": settings.on_demand_base_capacity,
                "OnDemandPercentageAboveBaseCapacity": settings.on_demand_percentage_above_base,
                "SpotAllocationStrategy": settings.spot_allocation_strategy,
            },
        },
        "CapacityRebalance": settings.capacity_rebalance,
    }
