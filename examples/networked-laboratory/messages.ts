import { type DefinedMessageClass, defineMessage, type MessageOf, t } from '../../src/index.ts';

const strainReadingFields = { device: t.string, microstrain: t.float, at: t.date };
/** strain device → every subscriber, every `--interval` seconds: what the gauge reads. */
export interface StrainReading extends MessageOf<typeof strainReadingFields> {}
export const StrainReading: DefinedMessageClass<
  typeof strainReadingFields,
  'laboratory.StrainReading',
  StrainReading
> = defineMessage('laboratory.StrainReading', strainReadingFields);

const temperatureReadingFields = { device: t.string, celsius: t.float, at: t.date };
/** temperature device → whoever sent it an Enquiry: what the thermometer reads now. */
export interface TemperatureReading extends MessageOf<typeof temperatureReadingFields> {}
export const TemperatureReading: DefinedMessageClass<
  typeof temperatureReadingFields,
  'laboratory.TemperatureReading',
  TemperatureReading
> = defineMessage('laboratory.TemperatureReading', temperatureReadingFields);
