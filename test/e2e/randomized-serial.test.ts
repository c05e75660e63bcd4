import { randomizedSerial } from '../support/randomized-serial.ts';

randomizedSerial(null);
