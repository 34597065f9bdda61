"""A generated tenant fleet with the runbook's wave mix.

30 % small (< 10 GB, wave 1), 50 % medium (10-100 GB, wave 2), 15 % large
(100 GB-1 TB, wave 3), 5 % enterprise (> 1 TB, wave 4), with tiers, regions,
hosted zones, AWS and OCI targets, buckets and baselines. The tenants go into
the store through the ordinary matrix import, as if a matrix had been imported.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from cutover.config.tenant_spec import GB, TB, TenantSpec

WAVE_MIX = ((1, 0.30), (2, 0.50), (3, 0.15), (4, 0.05))
# The runbook's example that goes wrong after cutover: kept in tonight's wave 1
# batch so a scenario can name it.
RUNBOOK_EXAMPLE = "T-0555"
# The runbook's Edge Case 2: a tenant whose customers call a hard-coded API name beside its own name;
# both move together (one change set). These get `api.<their name>` as an extra DNS name.
WITH_API_NAME = ("T-0042", "T-0142")
# In a demo-sized fleet, one of tonight's ready batch has an `api.` name too, so a user can cut it over:
# the 19th wave-1 tenant of the window's region (tonight's batch takes them lowest id first; T-0138 at 2,500).
TONIGHT_WITH_API_NAME = 18
DEMO_SIZED = 1000

_REGIONS = (
    ("us-east-1", 0.40, "us-east.example.com"),
    ("us-west-2", 0.22, "us-west.example.com"),
    ("eu-west-1", 0.18, "eu.example.com"),
    ("eu-central-1", 0.08, "eu.example.com"),
    ("ap-southeast-1", 0.12, "ap.example.com"),
)
_ADJECTIVES = (
    "Acme", "Blue", "Bright", "Cedar", "Coastal", "Copper", "Delta", "Eastern", "Evergreen", "First", "Golden",
    "Granite", "Harbor", "Highland", "Iron", "Keystone", "Liberty", "Lunar", "Maple", "Meridian", "Northern", "Oak",
    "Pacific", "Pioneer", "Prairie", "Quantum", "Redwood", "Silver", "Summit", "Union", "Vertex", "Western",
)  # fmt: skip
_NOUNS = (
    "Analytics", "Bank", "Biotech", "Brands", "Capital", "Clinics", "Foods", "Freight", "Games", "Health", "Insurance",
    "Labs", "Logistics", "Media", "Mining", "Motors", "Outfitters", "Partners", "Pharma", "Power", "Realty", "Retail",
    "Robotics", "Software", "Solar", "Systems", "Telecom", "Textiles", "Travel", "Utilities", "Ventures", "Water",
)  # fmt: skip


@dataclass(frozen=True)
class _WaveProfile:
    size_range: tuple[float, float]  # bytes, sampled log-uniformly
    tiers: tuple[tuple[str, float], ...]
    complexities: tuple[tuple[str, float], ...]
    criticalities: tuple[tuple[str, float], ...]


_PROFILES = {
    1: _WaveProfile(
        (0.5 * GB, 9.9 * GB),
        (("standard", 0.85), ("premium", 0.15)),
        (("simple", 0.7), ("standard", 0.3)),
        (("low", 0.6), ("medium", 0.4)),
    ),
    2: _WaveProfile(
        (10 * GB, 99 * GB),
        (("standard", 0.5), ("premium", 0.45), ("enterprise", 0.05)),
        (("simple", 0.1), ("standard", 0.7), ("complex", 0.2)),
        (("medium", 0.7), ("high", 0.3)),
    ),
    3: _WaveProfile(
        (100 * GB, 1 * TB),
        (("premium", 0.6), ("enterprise", 0.4)),
        (("standard", 0.4), ("complex", 0.6)),
        (("high", 0.8), ("critical", 0.2)),
    ),
    4: _WaveProfile((1.05 * TB, 20 * TB), (("enterprise", 1.0),), (("complex", 1.0),), (("critical", 1.0),)),
}


def wave_counts(total: int) -> dict[int, int]:
    """Tenants per wave for a fleet of `total`, the runbook's mix, adding up exactly."""
    counts = {wave: int(total * share) for wave, share in WAVE_MIX}
    # Hand the remainder to the waves that lost the most to rounding.
    by_loss = sorted(WAVE_MIX, key=lambda ws: (total * ws[1]) - int(total * ws[1]), reverse=True)
    for wave, _ in by_loss[: total - sum(counts.values())]:
        counts[wave] += 1
    return counts


def _pick(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def generate_fleet(total: int, seed: int) -> list[TenantSpec]:
    """`total` tenants T-0001.., the same for the same seed."""
    rng = random.Random(f"fleet:{seed}")
    width = max(4, len(str(total)))
    ids = [f"T-{n:0{width}d}" for n in range(1, total + 1)]
    waves = [wave for wave, count in wave_counts(total).items() for _ in range(count)]
    rng.shuffle(waves)
    if RUNBOOK_EXAMPLE in ids and 1 in waves:
        # Swap a wave-1 slot into the runbook's example tenant.
        example = ids.index(RUNBOOK_EXAMPLE)
        other = waves.index(1)
        waves[example], waves[other] = waves[other], waves[example]
    aws_base = rng.randrange(0, 200)
    specs = []
    for index, (tenant_id, wave) in enumerate(zip(ids, waves, strict=True)):
        profile = _PROFILES[wave]
        low, high = profile.size_range
        size = int(low * (high / low) ** rng.random())
        size = max(GB // 2, round(size / 10**8) * 10**8)  # tenths of a GB, like a sizing sheet
        region_roll = rng.random()
        cumulative = 0.0
        region, zone = _REGIONS[0][0], _REGIONS[0][2]
        for name, share, zone_name in _REGIONS:
            cumulative += share
            if region_roll < cumulative:
                region, zone = name, zone_name
                break
        if tenant_id == RUNBOOK_EXAMPLE:
            region, zone = "us-east-1", "us-east.example.com"
        complexity = _pick(rng, profile.complexities)
        p95_low, p95_high = {"simple": (650.0, 950.0), "standard": (950.0, 1450.0), "complex": (1300.0, 2200.0)}[
            complexity
        ]
        label = tenant_id.lower().replace("-", "")
        specs.append(
            TenantSpec(
                tenant_id=tenant_id,
                size_bytes=size,
                tier=_pick(rng, profile.tiers),
                dns_name=f"{label}.{zone}",
                wave=wave,
                name=f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}",
                complexity=complexity,
                criticality=_pick(rng, profile.criticalities),
                priority="Pilot" if wave == 1 and index < 50 and rng.random() < 0.1 else f"Wave-{wave}",
                hosted_zone=zone,
                aws_target=f"52.{(aws_base + index // 65024) % 256}.{(index // 254) % 256}.{index % 254 + 1}",
                oci_target=f"129.213.{(index // 254) % 256}.{index % 254 + 1}",
                region=region,
                aws_bucket=f"{label}-data-aws",
                oci_bucket=f"{label}-data-oci",
                baseline_p95_ms=round(rng.uniform(p95_low, p95_high)),
                baseline_error_rate=round(rng.uniform(0.0002, 0.0015), 5),
                extra_dns_names=f"api.{label}.{zone}" if tenant_id in WITH_API_NAME else "",
            )
        )
    if total >= DEMO_SIZED:
        tonight = [s for s in specs if s.wave == 1 and s.region == "us-east-1" and s.tenant_id != RUNBOOK_EXAMPLE]
        if len(tonight) > TONIGHT_WITH_API_NAME:
            chosen = tonight[TONIGHT_WITH_API_NAME]
            at = specs.index(chosen)
            specs[at] = replace(chosen, extra_dns_names=f"api.{chosen.dns_name}")
    return specs
