import { defineMessage, t } from 'callsign';

/** station → every subscriber, every `--interval` seconds: what it measures now. */
export class WeatherReading extends defineMessage('weather.WeatherReading', {
  station: t.string,
  celsius: t.float,
  hectopascals: t.float,
  windMetresPerSecond: t.float,
  at: t.date,
}) {}
