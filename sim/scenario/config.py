"""Typed, frozen views of a scenario's values, one class per table of the schema.

Generated from sim.scenario.files.SCHEMA by tools/config_views.py: do not edit by hand.
`config(scenario)` gives the whole scenario; a table of free keys (MapOf) or a list of tables
stays a read-only mapping or tuple of mappings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


@dataclass(frozen=True)
class MetaConfig:
    """[meta]."""

    name: str
    name_zh: str
    description: str
    description_zh: str | None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> MetaConfig:
        return cls(
            name=_frozen(values['name']),
            name_zh=_frozen(values['name_zh']),
            description=_frozen(values['description']),
            description_zh=_frozen(values.get('description_zh')),
        )


@dataclass(frozen=True)
class RunConfig:
    """[run]."""

    seed: int
    warmup_weeks: float
    weeks: float
    drain_weeks: float
    step_minutes: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> RunConfig:
        return cls(
            seed=_frozen(values['seed']),
            warmup_weeks=_frozen(values['warmup_weeks']),
            weeks=_frozen(values['weeks']),
            drain_weeks=_frozen(values['drain_weeks']),
            step_minutes=_frozen(values['step_minutes']),
        )


@dataclass(frozen=True)
class TerritoryRoadsConfig:
    """[territory.roads]."""

    source: str
    file: str | None
    lane_spacing_km: float
    river_position: float
    river_crossings: int
    classes: Mapping[str, Any]

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> TerritoryRoadsConfig:
        return cls(
            source=_frozen(values['source']),
            file=_frozen(values.get('file')),
            lane_spacing_km=_frozen(values['lane_spacing_km']),
            river_position=_frozen(values['river_position']),
            river_crossings=_frozen(values['river_crossings']),
            classes=_frozen(values['classes']),
        )


@dataclass(frozen=True)
class TerritoryConfig:
    """[territory]."""

    preset: str
    district: str | None
    capacity_file: str | None
    roads: TerritoryRoadsConfig
    streets_file: str
    street: str
    scale: float
    circuity: float
    persons_per_household: float
    households_per_grid: float
    residents_per_building: float
    residents_per_community: float
    missing_area_km2: float
    total_population: int
    length_km: float
    centre_position: float
    core_density_ratio: float
    streets_count: int | None
    communities_per_street: int | None
    area_km2: float | None
    population: int | None
    streets: tuple[Mapping[str, Any], ...] | None
    communities: tuple[Mapping[str, Any], ...] | None
    grids: tuple[Mapping[str, Any], ...] | None
    buildings: tuple[Mapping[str, Any], ...] | None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> TerritoryConfig:
        return cls(
            preset=_frozen(values['preset']),
            district=_frozen(values.get('district')),
            capacity_file=_frozen(values.get('capacity_file')),
            roads=TerritoryRoadsConfig.of(values['roads']),
            streets_file=_frozen(values['streets_file']),
            street=_frozen(values['street']),
            scale=_frozen(values['scale']),
            circuity=_frozen(values['circuity']),
            persons_per_household=_frozen(values['persons_per_household']),
            households_per_grid=_frozen(values['households_per_grid']),
            residents_per_building=_frozen(values['residents_per_building']),
            residents_per_community=_frozen(values['residents_per_community']),
            missing_area_km2=_frozen(values['missing_area_km2']),
            total_population=_frozen(values['total_population']),
            length_km=_frozen(values['length_km']),
            centre_position=_frozen(values['centre_position']),
            core_density_ratio=_frozen(values['core_density_ratio']),
            streets_count=_frozen(values.get('streets_count')),
            communities_per_street=_frozen(values.get('communities_per_street')),
            area_km2=_frozen(values.get('area_km2')),
            population=_frozen(values.get('population')),
            streets=_frozen(values.get('streets')),
            communities=_frozen(values.get('communities')),
            grids=_frozen(values.get('grids')),
            buildings=_frozen(values.get('buildings')),
        )


@dataclass(frozen=True)
class ResidentsConfig:
    """[residents]."""

    elderly_share: float
    employed_share: float
    digital_literacy: Mapping[str, Any]
    walk_kmh: float
    elderly_walk_kmh: float
    walk_max_km: float
    ride_kmh: float
    ride_access_minutes: float
    go_delay_days: float
    go_delay_per_errand_hour: float
    leave_hours: float
    arrival_spread: float
    leave_after_days: float
    work_hours: tuple[str, ...]

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> ResidentsConfig:
        return cls(
            elderly_share=_frozen(values['elderly_share']),
            employed_share=_frozen(values['employed_share']),
            digital_literacy=_frozen(values['digital_literacy']),
            walk_kmh=_frozen(values['walk_kmh']),
            elderly_walk_kmh=_frozen(values['elderly_walk_kmh']),
            walk_max_km=_frozen(values['walk_max_km']),
            ride_kmh=_frozen(values['ride_kmh']),
            ride_access_minutes=_frozen(values['ride_access_minutes']),
            go_delay_days=_frozen(values['go_delay_days']),
            go_delay_per_errand_hour=_frozen(values['go_delay_per_errand_hour']),
            leave_hours=_frozen(values['leave_hours']),
            arrival_spread=_frozen(values['arrival_spread']),
            leave_after_days=_frozen(values['leave_after_days']),
            work_hours=_frozen(values['work_hours']),
        )


@dataclass(frozen=True)
class CatalogueConfig:
    """[catalogue]."""

    file: str
    rework_days: float
    rework_limit: int
    pickup_minutes: float
    demand_scale: float
    items: Mapping[str, Any] | None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> CatalogueConfig:
        return cls(
            file=_frozen(values['file']),
            rework_days=_frozen(values['rework_days']),
            rework_limit=_frozen(values['rework_limit']),
            pickup_minutes=_frozen(values['pickup_minutes']),
            demand_scale=_frozen(values['demand_scale']),
            items=_frozen(values.get('items')),
        )


@dataclass(frozen=True)
class PointsStreetConfig:
    """[points.street]."""

    windows: int
    hours: tuple[str, ...]

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> PointsStreetConfig:
        return cls(
            windows=_frozen(values['windows']),
            hours=_frozen(values['hours']),
        )


@dataclass(frozen=True)
class PointsCommunityConfig:
    """[points.community]."""

    windows: int
    hours: tuple[str, ...]

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> PointsCommunityConfig:
        return cls(
            windows=_frozen(values['windows']),
            hours=_frozen(values['hours']),
        )


@dataclass(frozen=True)
class PointsTerminalConfig:
    """[points.terminal]."""

    hours: tuple[str, ...]
    minutes_factor: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> PointsTerminalConfig:
        return cls(
            hours=_frozen(values['hours']),
            minutes_factor=_frozen(values['minutes_factor']),
        )


@dataclass(frozen=True)
class PointsGridConfig:
    """[points.grid]."""

    workers_per_grid: int
    hours: tuple[str, ...]
    door_minutes: float
    response_days: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> PointsGridConfig:
        return cls(
            workers_per_grid=_frozen(values['workers_per_grid']),
            hours=_frozen(values['hours']),
            door_minutes=_frozen(values['door_minutes']),
            response_days=_frozen(values['response_days']),
        )


@dataclass(frozen=True)
class PointsBuildingConfig:
    """[points.building]."""

    response_days: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> PointsBuildingConfig:
        return cls(
            response_days=_frozen(values['response_days']),
        )


@dataclass(frozen=True)
class PointsOnlineConfig:
    """[points.online]."""

    review_days: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> PointsOnlineConfig:
        return cls(
            review_days=_frozen(values['review_days']),
        )


@dataclass(frozen=True)
class PointsConfig:
    """[points]."""

    street: PointsStreetConfig
    community: PointsCommunityConfig
    terminal: PointsTerminalConfig
    grid: PointsGridConfig
    building: PointsBuildingConfig
    online: PointsOnlineConfig

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> PointsConfig:
        return cls(
            street=PointsStreetConfig.of(values['street']),
            community=PointsCommunityConfig.of(values['community']),
            terminal=PointsTerminalConfig.of(values['terminal']),
            grid=PointsGridConfig.of(values['grid']),
            building=PointsBuildingConfig.of(values['building']),
            online=PointsOnlineConfig.of(values['online']),
        )


@dataclass(frozen=True)
class StaffStreetConfig:
    """[staff.street]."""

    proficiency: float
    error_rate: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> StaffStreetConfig:
        return cls(
            proficiency=_frozen(values['proficiency']),
            error_rate=_frozen(values['error_rate']),
        )


@dataclass(frozen=True)
class StaffCommunityConfig:
    """[staff.community]."""

    proficiency: float
    error_rate: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> StaffCommunityConfig:
        return cls(
            proficiency=_frozen(values['proficiency']),
            error_rate=_frozen(values['error_rate']),
        )


@dataclass(frozen=True)
class StaffSpecialistConfig:
    """[staff.specialist]."""

    proficiency: float
    error_rate: float
    count: int
    travel_kmh: float
    when_absent: str
    preaccept_minutes: float
    rota_awareness: float
    held_per_session: int
    visit_days: tuple[str, ...]
    rota: tuple[Mapping[str, Any], ...] | None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> StaffSpecialistConfig:
        return cls(
            proficiency=_frozen(values['proficiency']),
            error_rate=_frozen(values['error_rate']),
            count=_frozen(values['count']),
            travel_kmh=_frozen(values['travel_kmh']),
            when_absent=_frozen(values['when_absent']),
            preaccept_minutes=_frozen(values['preaccept_minutes']),
            rota_awareness=_frozen(values['rota_awareness']),
            held_per_session=_frozen(values['held_per_session']),
            visit_days=_frozen(values['visit_days']),
            rota=_frozen(values.get('rota')),
        )


@dataclass(frozen=True)
class StaffConfig:
    """[staff]."""

    street: StaffStreetConfig
    community: StaffCommunityConfig
    specialist: StaffSpecialistConfig

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> StaffConfig:
        return cls(
            street=StaffStreetConfig.of(values['street']),
            community=StaffCommunityConfig.of(values['community']),
            specialist=StaffSpecialistConfig.of(values['specialist']),
        )


@dataclass(frozen=True)
class HandoffConfig:
    """[handoff]."""

    courier_days: float
    round_days: float
    deliver_days: float
    referral_share: float
    electronic_days: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> HandoffConfig:
        return cls(
            courier_days=_frozen(values['courier_days']),
            round_days=_frozen(values['round_days']),
            deliver_days=_frozen(values['deliver_days']),
            referral_share=_frozen(values['referral_share']),
            electronic_days=_frozen(values['electronic_days']),
        )


@dataclass(frozen=True)
class AuditConfig:
    """[audit]."""

    share: float
    detect: float
    days: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> AuditConfig:
        return cls(
            share=_frozen(values['share']),
            detect=_frozen(values['detect']),
            days=_frozen(values['days']),
        )


@dataclass(frozen=True)
class StaffingConfig:
    """[staffing]."""

    fte_hours_per_week: float
    review_minutes: float
    back_office_minutes: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> StaffingConfig:
        return cls(
            fte_hours_per_week=_frozen(values['fte_hours_per_week']),
            review_minutes=_frozen(values['review_minutes']),
            back_office_minutes=_frozen(values['back_office_minutes']),
        )


@dataclass(frozen=True)
class SwitchesConfig:
    """[switches]."""

    weekend: bool
    terminals: bool
    online: bool
    any_street_centre: bool
    community_forwarding: bool
    proactive_elderly: bool
    deliver_home: bool
    batch: bool
    electronic_pass_on: bool

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> SwitchesConfig:
        return cls(
            weekend=_frozen(values['weekend']),
            terminals=_frozen(values['terminals']),
            online=_frozen(values['online']),
            any_street_centre=_frozen(values['any_street_centre']),
            community_forwarding=_frozen(values['community_forwarding']),
            proactive_elderly=_frozen(values['proactive_elderly']),
            deliver_home=_frozen(values['deliver_home']),
            batch=_frozen(values['batch']),
            electronic_pass_on=_frozen(values['electronic_pass_on']),
        )


@dataclass(frozen=True)
class AdaptConfig:
    """[adapt]."""

    refusal_limit: int
    retry_days: float
    hearsay_weight: float
    new_channels: tuple[str, ...]
    aware_of_new: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> AdaptConfig:
        return cls(
            refusal_limit=_frozen(values['refusal_limit']),
            retry_days=_frozen(values['retry_days']),
            hearsay_weight=_frozen(values['hearsay_weight']),
            new_channels=_frozen(values['new_channels']),
            aware_of_new=_frozen(values['aware_of_new']),
        )


@dataclass(frozen=True)
class ComplaintsConfig:
    """[complaints]."""

    after_refusal: float
    after_abandoning: float
    answer_days: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> ComplaintsConfig:
        return cls(
            after_refusal=_frozen(values['after_refusal']),
            after_abandoning=_frozen(values['after_abandoning']),
            answer_days=_frozen(values['answer_days']),
        )


@dataclass(frozen=True)
class NetworkConfig:
    """[network]."""

    building_ties: float
    grid_ties: float
    long_ties: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> NetworkConfig:
        return cls(
            building_ties=_frozen(values['building_ties']),
            grid_ties=_frozen(values['grid_ties']),
            long_ties=_frozen(values['long_ties']),
        )


@dataclass(frozen=True)
class ProactiveConfig:
    """[proactive]."""

    visit_interval_days: float
    reach: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> ProactiveConfig:
        return cls(
            visit_interval_days=_frozen(values['visit_interval_days']),
            reach=_frozen(values['reach']),
        )


@dataclass(frozen=True)
class ChoiceConfig:
    """[choice]."""

    per_travel_minute: float
    per_trip: float
    per_day: float
    constants: Mapping[str, Any]
    online_literate: float
    online_not_literate: float
    elderly_door: float
    door_nest: float

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> ChoiceConfig:
        return cls(
            per_travel_minute=_frozen(values['per_travel_minute']),
            per_trip=_frozen(values['per_trip']),
            per_day=_frozen(values['per_day']),
            constants=_frozen(values['constants']),
            online_literate=_frozen(values['online_literate']),
            online_not_literate=_frozen(values['online_not_literate']),
            elderly_door=_frozen(values['elderly_door']),
            door_nest=_frozen(values['door_nest']),
        )


@dataclass(frozen=True)
class QueueReductionConfig:
    """[queue_reduction]."""

    arrivals_per_hour: float
    service_minutes: float
    windows: int
    service: str
    forward_share: float
    street_windows: int

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> QueueReductionConfig:
        return cls(
            arrivals_per_hour=_frozen(values['arrivals_per_hour']),
            service_minutes=_frozen(values['service_minutes']),
            windows=_frozen(values['windows']),
            service=_frozen(values['service']),
            forward_share=_frozen(values['forward_share']),
            street_windows=_frozen(values['street_windows']),
        )


@dataclass(frozen=True)
class SurveyConfig:
    """[survey]."""

    per_month: int
    satisfaction: Mapping[str, Any]
    awareness: Mapping[str, Any]

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> SurveyConfig:
        return cls(
            per_month=_frozen(values['per_month']),
            satisfaction=_frozen(values['satisfaction']),
            awareness=_frozen(values['awareness']),
        )


@dataclass(frozen=True)
class ScenarioConfig:
    """A whole scenario."""

    extends: str | None
    meta: MetaConfig
    run: RunConfig
    territory: TerritoryConfig
    residents: ResidentsConfig
    calendars: Mapping[str, Any]
    catalogue: CatalogueConfig
    points: PointsConfig
    staff: StaffConfig
    authority: Mapping[str, Any]
    handoff: HandoffConfig
    audit: AuditConfig
    staffing: StaffingConfig
    switches: SwitchesConfig
    adapt: AdaptConfig
    complaints: ComplaintsConfig
    network: NetworkConfig
    proactive: ProactiveConfig
    choice: ChoiceConfig
    queue_reduction: QueueReductionConfig | None
    survey: SurveyConfig
    ranges: Mapping[str, Any] | None

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> ScenarioConfig:
        return cls(
            extends=_frozen(values.get('extends')),
            meta=MetaConfig.of(values['meta']),
            run=RunConfig.of(values['run']),
            territory=TerritoryConfig.of(values['territory']),
            residents=ResidentsConfig.of(values['residents']),
            calendars=_frozen(values['calendars']),
            catalogue=CatalogueConfig.of(values['catalogue']),
            points=PointsConfig.of(values['points']),
            staff=StaffConfig.of(values['staff']),
            authority=_frozen(values['authority']),
            handoff=HandoffConfig.of(values['handoff']),
            audit=AuditConfig.of(values['audit']),
            staffing=StaffingConfig.of(values['staffing']),
            switches=SwitchesConfig.of(values['switches']),
            adapt=AdaptConfig.of(values['adapt']),
            complaints=ComplaintsConfig.of(values['complaints']),
            network=NetworkConfig.of(values['network']),
            proactive=ProactiveConfig.of(values['proactive']),
            choice=ChoiceConfig.of(values['choice']),
            queue_reduction=None if 'queue_reduction' not in values else QueueReductionConfig.of(values['queue_reduction']),
            survey=SurveyConfig.of(values['survey']),
            ranges=_frozen(values.get('ranges')),
        )


def config(scenario: Any) -> ScenarioConfig:
    """The typed view of a loaded scenario (a sim.scenario.files.Scenario, or its values)."""
    return ScenarioConfig.of(getattr(scenario, "values", scenario))
