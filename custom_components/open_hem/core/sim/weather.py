"""The weather a simulated home sees: where the sun is, the clear-sky irradiance, clouds and the
outdoor temperature. Pure functions of the time (and the seed), so stepping does not change them.

The sun's position follows NOAA's low-accuracy equations (within a degree or so), the clear-sky
irradiance Haurwitz's model (global horizontal, W/m²). Clouds are a cloudiness per day with
5-minute variation (AR(1)) around it; the temperature a seasonal mean for the Netherlands with a
day-to-day anomaly and a daily swing (warmest at 15:00, coldest at 03:00).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
import math
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from .seeding import day_rng

CLOUD_KNOTS = 288  # one every 5 minutes
_DAY_S = 86400.0
_CACHE_DAYS = 8


def solar_elevation(moment: datetime, latitude: float, longitude: float) -> float:
    """The sun's elevation above the horizon in degrees (negative at night)."""
    utc = moment.astimezone(UTC)
    day_of_year = utc.timetuple().tm_yday
    hour = utc.hour + utc.minute / 60 + utc.second / 3600 + utc.microsecond / 3.6e9
    gamma = 2 * math.pi / 365 * (day_of_year - 1 + (hour - 12) / 24)
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    declination = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    true_solar_minutes = hour * 60 + eqtime + 4 * longitude
    hour_angle = math.radians(true_solar_minutes / 4 - 180)
    lat = math.radians(latitude)
    cos_zenith = math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(
        declination
    ) * math.cos(hour_angle)
    return math.degrees(math.asin(max(-1.0, min(1.0, cos_zenith))))


def clear_sky_irradiance(elevation_deg: float) -> float:
    """Global horizontal irradiance under a clear sky, W/m² (Haurwitz)."""
    cos_zenith = math.sin(math.radians(elevation_deg))
    if cos_zenith <= 0:
        return 0.0
    return 1098.0 * cos_zenith * math.exp(-0.057 / cos_zenith)


def seasonal_mean_temperature(day: date) -> float:
    """The Dutch mean outdoor temperature for the day of the year (about 3.5 °C late January,
    17.5 °C late July)."""
    return 10.5 - 7.0 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 25) / 365)


class Weather:
    """Sun, clouds and outdoor temperature at one place, seeded."""

    def __init__(
        self,
        seed: int,
        latitude: float = 52.09,
        longitude: float = 5.12,
        timezone: str = "Europe/Amsterdam",
        *,
        temperature_offset_c: float = 0.0,
    ) -> None:
        """Weather at the given place (default: Utrecht); shift every temperature by the offset."""
        self.seed = seed
        self.latitude = latitude
        self.longitude = longitude
        self.zone = ZoneInfo(timezone)
        self.temperature_offset_c = temperature_offset_c
        self._clouds: dict[date, NDArray[np.float64]] = {}
        self._anomaly: dict[date, float] = {}

    def _local_day_start(self, day: date) -> float:
        return datetime.combine(day, time(), tzinfo=self.zone).timestamp()

    def cloudiness(self, moment: datetime) -> float:
        """Cloud cover 0 (clear) ... 1 (overcast) at the moment."""
        day = moment.astimezone(self.zone).date()
        knots = self._clouds.get(day)
        if knots is None:
            knots = self._cloud_day(day)
        start = self._local_day_start(day)
        end = self._local_day_start(day + timedelta(days=1))
        position = (moment.timestamp() - start) / (end - start) * (CLOUD_KNOTS - 1)
        index = min(int(position), CLOUD_KNOTS - 2)
        fraction = position - index
        return float(knots[index] * (1 - fraction) + knots[index + 1] * fraction)

    def _cloud_day(self, day: date) -> NDArray[np.float64]:
        rng = day_rng(self.seed, day, "clouds")
        level = rng.beta(1.0, 1.6)  # mean 0.38: about as many clear as cloudy days
        noise = rng.normal(0.0, 0.12, CLOUD_KNOTS)
        cover = np.empty(CLOUD_KNOTS)
        drift = 0.0
        for i, shock in enumerate(noise):
            drift = 0.92 * drift + shock
            cover[i] = level + drift
        knots = np.clip(cover, 0.0, 1.0)
        if len(self._clouds) >= _CACHE_DAYS:
            self._clouds.pop(next(iter(self._clouds)))
        self._clouds[day] = knots
        return knots

    def irradiance(self, moment: datetime) -> float:
        """Global horizontal irradiance with the clouds, W/m² (overcast lets 25 % through)."""
        clear = clear_sky_irradiance(solar_elevation(moment, self.latitude, self.longitude))
        if clear == 0.0:
            return 0.0
        return clear * (1.0 - 0.75 * self.cloudiness(moment))

    def _day_anomaly(self, day: date) -> float:
        anomaly = self._anomaly.get(day)
        if anomaly is None:
            anomaly = float(day_rng(self.seed, day, "temperature").normal(0.0, 2.5))
            if len(self._anomaly) >= _CACHE_DAYS:
                self._anomaly.pop(next(iter(self._anomaly)))
            self._anomaly[day] = anomaly
        return anomaly

    def outdoor_temperature(self, moment: datetime) -> float:
        """Outdoor temperature, °C: the season's mean + the day's anomaly (changing smoothly
        from noon to noon) + a daily swing of ±4 K peaking at 15:00."""
        local = moment.astimezone(self.zone)
        hours = local.hour + local.minute / 60 + local.second / 3600
        day = local.date()
        # the anomaly is the day's at noon and moves linearly to the next (or previous) noon
        neighbour = day + timedelta(days=1 if hours >= 12 else -1)
        weight = abs(hours - 12) / 24
        anomaly = (1 - weight) * self._day_anomaly(day) + weight * self._day_anomaly(neighbour)
        swing = 4.0 * math.cos(2 * math.pi * (hours - 15) / 24)
        return seasonal_mean_temperature(day) + anomaly + swing + self.temperature_offset_c
