import { defineMessage, t } from 'callsign';

/** strain device → every subscriber, every `--interval` seconds: what the gauge reads. */
export class StrainReading extends defineMessage('laboratory.StrainReading', {
  device: t.string,
  microstrain: t.float,
  at: t.date,
}) {}

/** temperature device → whoever sent it an Enquiry: what the thermometer reads now. */
export class TemperatureReading extends defineMessage('laboratory.TemperatureReading', {
  device: t.string,
  celsius: t.float,
  at: t.date,
}) {}
