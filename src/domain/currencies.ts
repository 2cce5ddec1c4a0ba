/**
 * The ISO 4217 alphabetic currency codes a transaction may carry: List One of the ISO 4217
 * Maintenance Agency (SIX Group) as of 2026, funds codes (BOV, CHE, CHW, CLF, COU, MXV, USN,
 * UYI, UYW) and precious metals included, plus codes withdrawn since 2009 that historical data
 * replayed through a backtest still carries (List Three: BGN → EUR 2026, ANG → XCG 2025,
 * SLL → SLE 2024, ZWL → ZWG 2024, HRK → EUR 2023, CUC 2021, MRO → MRU, STD → STN, VEF → VES
 * 2018, BYR → BYN 2016, LTL 2015, LVL 2014, EEK 2011, SKK 2009). XTS (testing) and XXX (no
 * currency) are not money and are refused.
 */
export const ISO_4217_ALPHA3 = [
  ...'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD'.split(' '),
  ...'BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK'.split(' '),
  ...'DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF'.split(' '),
  ...'IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP'.split(' '),
  ...'LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD'.split(' '),
  ...'NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD'.split(' '),
  ...'SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD'.split(' '),
  ...'TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB'.split(' '),
  ...'XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG'.split(' '),
  // Withdrawn, kept for historical data (see above).
  ...'ANG BGN BYR CUC EEK HRK LTL LVL MRO SKK SLL STD VEF ZWL'.split(' '),
] as const;
