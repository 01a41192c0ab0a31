/** Small real images (48×32), one per supported type, for tests. Generated with sharp. */

function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** A real image per supported type: `{ jpeg, png, gif, webp, avif }`. */
export const FIXTURES: Readonly<Record<'jpeg' | 'png' | 'gif' | 'webp' | 'avif', { type: string; bytes: Uint8Array }>> =
  {
    jpeg: {
      type: 'image/jpeg',
      bytes: fromBase64(
        '/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBD' +
          'AQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAAgADAD' +
          'ASIAAhEBAxEB/8QAFwABAQEBAAAAAAAAAAAAAAAABgIFCP/EAB4QAAEEAwEBAQAAAAAAAAAAABEAAwUTQULBoSIh/8QAFwEBAQEB' +
          'AAAAAAAAAAAAAAAABgUECP/EACARAAECBQUAAAAAAAAAAAAAABEEEgADBROBFSFBkbL/2gAMAwEAAhEDEQA/AOemI6rU8SNiOqwe' +
          'JExHVak+KGI6rU8SeYu0LknDB25xx5moqjdG8HWI6rB4kbEdVg8SJiOq1J8UMR1WDxT5i7QuScMHbnHHlaiqN0bwcYjqh+HiSMR1' +
          'Wp4kTEdVqeKGI6ofJPiwTF2hck4YO3OOPK5FUbo3jBYjqtSfEjYjqsHiRMR1Q+SfFDEdVg8U2Yu0LknDB25xx55mRVG6N4OsR1Wp' +
          'PiRsR1WDxImI6rUnxQxHVYPFgmLtC5JwwducceVyKo3RvB1iOq1PEjYjqtTxImI6rUnxQxHVYJ8U+Yu0LknDB25xx5XIqjdG8f/Z',
      ),
    },
    png: {
      type: 'image/png',
      bytes: fromBase64(
        'iVBORw0KGgoAAAANSUhEUgAAADAAAAAgCAIAAADbtmxLAAAACXBIWXMAAAPoAAAD6AG1e1JrAAANmUlEQVRYhQXBIagCMQAA0BVB' +
          'LC78cBYZWK4Iw6LBMIscWFYEsbhgOIsMLFeEYdFgmEUEy4ogFhcMWmRguSIMiwbDLCJYFo3/PQAAyACYAygP8B8gBUCLgJUAD4Eo' +
          'A1kBqgp0HZgGsE3gWsBTANoAdgHqAdwHZADoELAR4AkQYyAnQE2BngOzAHYJ3Bp4BcAGwB1Ae4APgJwAPQN2ATwF4grkDag70E9g' +
          'XsC+gfsCD0AWZrIgl8X5LPrL0kKWFLO8lGVhVpazopLV1ayqZ20ja5pZ38o6moXtLOhmcS+L+lk6yJJhlo+yLMnKcVZMsnqaVfOs' +
          'XWTNMuvXWaeycJMFuyzeZ9EhS09Zcs7yS5alWXnNiltW37PqmbWvrHln/TfrAIAoA3EOgjyEf5AVIC9CUoI0hKoMdQWKKpR16BrQ' +
          'N6FpQUshakPchaAHYR+yAeRDSEaQJlCNoZ5AMYVyDt0C+iU0a2gVRBuIdxDsITxAdoL8DMkF0hSqK9Q3KO5QPqF7Qf+G5gstAAHO' +
          'BCgXwHwA/gJeCFgxoKWAhIEuB6oSyGog6oFvBK4Z2FZgaIDbAeoGsBeAfsAHARsGdBSQJNDjQE0COQ3EPPCLwC0Duw6MCvAmQLsA' +
          '7gNwCPgpYOeAXgKSBvoaqFsg74F4Bv4VuHdgv4EBAJEMojnE8oj/IVBAsIhQCeEQmTKyFeSqyNeRaCDZRKqFNEWkjWgXsR7ifQQG' +
          'CA4RGiGcIDNGdoLcFPk5Egskl0itkVaIbBDdIbZH/IDACcEzQheEU2SuyN6QuyP/ROKF5BupL9IAhDQTklzI8yH7C2EhBMUQl0IU' +
          'hrYcmkroq6Grh7IRimaoW6GiIW2HpBvyXsj6IRyEYBjiUYiS0I5DMwn9NHTzUC5CsQz1OlQqpJuQ7EK+D9khhKcQnEN8CVEa2mto' +
          'bqG/h+4Zylco3qH+hgoAzDKY5zDJY/qHUQHjIgYlDEPsythXsKliW8eqgXUTixaWFLM25l1Mepj2MRpgPMRghGGC3Rj7CTZTbOdY' +
          'LbBeYrHGUmG2wXyHyR7TA0YnjM8YXDBMsbtif8Pmju0TqxfWbyy+WAJQ45kay9Vovkb+arhQQ8UaLNVAWPPlmqvUbLVm6jXdqKlm' +
          'TbZqgtZ4u8a6NdqrkX4ND2poWIOjGkhqflxzk5qd1sy8phc1tazJdU2oGt/U2K5G9zVyqOFTDZ1r8FIDac1fa+5Ws/eaedb0q6be' +
          'NfmtCQCIyBCZIypP9B8xBWKLxJWIDwkoE1ghqEpwnZAGoU3CWoRTItpEdonqEd0nZkDskLgR8QkBYwInBE0JnhOyIHRJ2JpwRcSG' +
          'yB1Re6IPxJyIPRN3IT4l4ErgjaA7wU9CXoS+CfsSDkAkM5HIRTofqb/IFiJTjHwpcmEEyxGoRLgaoXpEGxFpRrwVMRrJdiS6ke5F' +
          'qh/ZQWSGkR9FLongOAKTCE8jNI/oIiLLiK8jpiK5icQu0vtIHSJ7isw58pfIpRG8RuAW4XuEnhF9ReQd8W/EAKAqQ3WOijyVf9QV' +
          'qC9SU6I2pKhMcYWCKoV1yhqUNylpUUqpalPdpaJHZZ+6AfVDakbUJhSNKZ5QMKVwTtmC8iUla0oVVRuqd1TsqTxQd6L+TM2F2pSi' +
          'K8U3Cu4UPil7Uf6m5EspAB2d6ahcR+Y74q/jCx1X7NhSx4QdXO6gSgdWO6De4Y0Oa3Zoq0NoR7c7qtuRvY7od/yg44YdO+qYpIPH' +
          'HTTpwGkHzDt80WHLDl13iOroTUftOnLfEYeOP3XcuWMvHZN28LWDbh1474Bnh7867N2h3w4BgJkMsznm8sz/MVFgsshUiemQkTKj' +
          'FcaqjNcZaDDYZKjFMGWmzWyXuR7zfSYGTA6ZGjGdMDJmdMLYlPE5AwsGlwytGVbMbJjdMbdn/sDEickzUxemU0aujN4YuzP+ZODF' +
          '4JuhL8MAxDYTm1zs87H7i2UhFsVYl2IVxrQck0rMqzGrx7ARg2aMWzGisW3Hphv7Xuz6sRzEYhjrUaySmI5jMon5NGbzGC5isIzx' +
          'OkYqtpvY7GK/j90hlqdYnGN9iVUa02tMbjG/x+wZw1cM3jH+xggA7jLc57jJc/vHVYHrIhclLkPOypxXOKlyWueowXGTgxaHlLs2' +
          '911uetz2uRpwPeRixGXC2ZjzCSdTTuccLThecrDmUHG34X7HzZ7bA1cnrs9cXLhMObtyfuPkzumToxfHbw6+HAKQ+EziconNJ+Yv' +
          '0YVEFRNZSkSY8HLCKgmtJqSe4EaCmglsJYAmvp24bmJ7ieknepCoYSJHiUgSPk7YJKHThMwTvEjQMoHrBKjEbxK3S+w+MYdEnxJ1' +
          'TuQlEWnCrwm7JfSekGeCXwl6J/CbAAAEyAiYEygv8J8gBUGLgpUED4UoC1kRqip0XZiGsE3hWsJTAdoCdgXqCdwXZCDoULCR4IkQ' +
          'YyEnQk2FnguzEHYp3Fp4JcBGwJ1Ae4EPgpwEPQt2ETwV4irkTai70E9hXsK+hfsKD8AMZmYgN8P5Gfqb0cKMFGe8NGPhTJZnojLT' +
          '1Zmqz2xjZpoz35o5OoPtGejOcG+G+jM6mJHhjI9mLJnJ8UxMZno6U/OZXczMcubXM6dmcDMDuxnez9BhRk8zcp7xy4ylM3mdidtM' +
          '32fqObOvmXnP/HfmAJAoI3FOgryEf5IVJC9KUpI0lKosdUWKqpR16RrSN6VpSUslakvclaAnYV+ygeRDSUaSJlKNpZ5IMZVyLt1C' +
          '+qU0a2mVRBuJdxLsJTxIdpL8LMlF0lSqq9Q3Ke5SPqV7Sf+W5istACucWaHcCuZX4G/FCytWXNHSioQrXV6pykpWV6K+8o2Va65s' +
          'a2XoCrdXqLuCvRXor/hgxYYrOlqRZKXHKzVZyelKzFd+sXLLlV2vjFrhzQrtVnC/AocVP63YeUUvK5Ku9HWlbit5X4nnyr9W7r2y' +
          '35UBQJGMojnF8or/KVBQsKhQSeFQmbKyFeWqyteVaCjZVKqlNFWkrWhXsZ7ifQUGCg4VGimcKDNWdqLcVPm5Egsll0qtlVaKbBTd' +
          'KbZX/KDAScGzQheFU2Wuyt6Uuyv/VOKl5Fupr9IAbGlmS3Jbnt+yvy0sbEFxi0tbFG5teWsqW1/duvpWNraiudWtraJb2t6S7pb3' +
          'tqy/hYMtGG7xaIuSrR1vzWTrp1s338rFViy3er1Vaks3W7Lb8v2WHbbwtAXnLb5sUbq11625bf19655b+dqK91Z/twoAzTKa5zTJ' +
          'a/qnUUHjogYlDUPtytpXtKlqW9eqoXVTi5aWVLO25l1Nepr2NRpoPNRgpGGi3Vj7iTZTbedaLbRearHWUmm20XynyV7Tg0Ynjc8a' +
          'XDRMtbtqf9Pmru1Tq5fWby2+WgJw5Jkjyx1p/kj+jrhwRMUjLB1BePTlo6scbfVo6kfdOKrmUbaOgh55+8i6R9o7kv4RD45oeISj' +
          'I0iOfnx0k6OdHs38qBdHtTzK9VGoI98c2e5I90dyOOLTEZ2P8HIE6dFfj+52tPejeR7166jeR/k9CgCMyBiZMypv9J8xBWOLxpWM' +
          'Dw0oG1gxqGpw3ZCGoU3DWoZTI9pGdo3qGd03ZmDs0LiR8YkBYwMnBk0NnhuyMHRp2NpwZcTGyJ1Re6MPxpyMPRt3MT414GrgzaC7' +
          'wU9DXoa+DfsaDkAqM6nIpTqfqr/UFlJTTH0pdWEKyymopLiaonpKGylppryVMprKdiq6qe6lqp/aQWqGqR+lLknhOAWTFE9TNE/p' +
          'IiXLlK9TplK5ScUu1ftUHVJ7Ss059ZfUpSm8puCW4nuKnil9peSd8m/KALAqY3XOiryVf9YVrC9aU7I2tKhsccWCqoV1yxqWNy1p' +
          'WUqtalvdtaJnZd+6gfVDa0bWJhaNLZ5YMLVwbtnC8qUla0uVVRurd1bsrTxYd7L+bM3F2tSiq8U3C+4WPi17Wf625GspAA+deajc' +
          'Q+Yf4u/hCw9XfNjSw4QPXH6gygNWH6D+4I0Haz5o60HoQ7cfqvuQvYfoP/zg4YYPO3qY5IHHDzR5wOkDzB988WDLB10/iHrozUPt' +
          'HnL/EIeHPz3c+WEvD5M+8PWBbg94f4Dng78e7P2g3wcBwJmMsznn8s7/OVFwsuhUyenQkbKjFceqjtcdaDjYdKjlMHWm7WzXuZ7z' +
          'fScGTg6dGjmdODJ2dOLY1PG5AwsHlw6tHVbObJzdObd3/uDEycmzUxenU0eujt4cuzv+dODl4Nuhr8MAfGzmY3Ifn/+4v48sfETx' +
          'o0sfFX5o+UMqH179sPoHNj6g+cGtD6If2/6Y7sf3Pq7/kYOPGH706KOSDx1/yOTDpx82/8DFByw/eP1B6mM3H7P7+P3HHT7y9BHn' +
          'j758VPqh1w+5ffj9w54f+PqA9wd/PwgA7zLe57zJe/vnVcHrohclL0PPyp5XPKl6Wveo4XHTg5aH1Lu2911vet72vRp4PfRi5GXi' +
          '2djziSdTT+ceLTxeerD2UHm38X7nzd7bg1cnr89eXLxMPbt6fvPk7unTo5fHbw++HgLw85mfy/1s/mf+frrwU8WfLP1E+OPlH6v8' +
          'aPVH6j/c+KHmD7Z+gP58++e6P9v7mf5PD35q+JOjn0h+fPxjkx+d/sj8hxc/tPzB9Q+on9/83O5n9z9z+OnTT51/8vIT6Y9ff+z2' +
          'o/cfef7w64feP/j9gX9S1Xl5X5H0yQAAAABJRU5ErkJggg==',
      ),
    },
    gif: {
      type: 'image/gif',
      bytes: fromBase64(
        'R0lGODlhMAAgAIcAADW0UlLUoI8U4MEEcJmUwGGAOLcUYJgpLCgAKF7gXJkE4LZI1l3DpTxYcLQYcFXRsOKogOc1laXx8JYI8OaD' +
          '22ssMGtE2NA02BZEyHokyMukyNW0yIU0yCBUyEhcODWCsHuUqFJUqFxEqIWEqHvUKMuUqIq0uMsUqIrEOJmkqEikqLxssD60qDAM' +
          'sAdMsIAMsI9UaAdEmBtssAdMgJ28WNWEqATCkAcscE07kJlEaFLkyJksmNUEqFz1yCV8eFcMMHr1aAft8DT1SHk26ggMMNOm6nxS' +
          'KS2Sp5lWQ9bELcrXLYYh6jch51uSBxPX541DQ7XihriSar0QPd5DRCriRAtWlyJqeg6WB4biakDSauavjRWDQ5nXQx/yhyTA6J94' +
          '6MFE6220EX6qy5KJy84pxr1Pxm1PxgSSKctEBi5EEZnyDjGo6GqkEZDyKbBg6DRuOzVJNecG6hNY6LPZ6DFUEWDYiNGQiBaYSEKp' +
          'iAmwSKjMi5KvlZIuq6moaAzUhX4Jm70JVRnqm+IphU/AiJLOY+KP60x7DsW+59hgaE68aESOyVRy6hylHJq3e3+u523xiAZw6EKO' +
          '563vu5CT6t9hDGVW6uZIaFaOJ49jCgaEEcvvdUXxCblol+lZQAkPGzCOiWyOSaeqRwYJBmqOZ4BqZxqOZ1gqZzbZDAfPqebxCaYu' +
          'Z9fXCBxumSU86MO6DRu0GS+syKhsyFdsyC8syLzMyGvMyBvMyOUqqUFnEWvN6Ew9ecN2h0QK6qhMqKiMKI3hDMd6Z4DHD+SOx6fu' +
          '12GsOHN4gKiMCWFciOXOSREsOIKQiH9sSLyMSGtsqKfNqNgf6Afu10NMWC9sWDcYhFcrSKcrSC8MmEQsqGsMSBsMSJRyH9AMiAes' +
          'aAcsWGwMaBsMaNBsSEPNSOSsqGvtqL7toIBJD1ft6AhsyEMMyJQMyNBPIoDtSKgMCS/taBHtuagMKOTMaEPtKFmpXaZJh+QMyGss' +
          'ERssEbssGePuK9DtU4gahi7HHOVzGrqoHlcMEQAAACH5BAQAAAAALAAAAAAwACAAAAj/AEWJ8kQkW7Zv36ZZs9YCHTpevPxJ/IEN' +
          'mzdv+v78eZEunYIJ7Ni9eycFEKAB27bx4EGPXpw4Aol4MojQ2rQW1hxCnOiv4sU/+l786ThBQciRgKQMAJRyZcuXBAciNMhQIUSH' +
          '/n5IvFhxoz59AiZ0HBnSgIOSJ06kfBanpUxPoqZmw2mTCROHWrd6qyj06xIBY9+FdGAgadq1z1om69bthr3HyWbNsjtt2rVr1KiZ' +
          'MlWvc4UMGZYs+bqDT7VqqhzcWy2FDJlnzwQJunWrW7Ib3SDbk0zZMmbNnOtVqAda9Fc+O06rUrV6tWvYsmk3Xmwv2eNWrSRf1oVj' +
          'c2bhnYcM/+HAgQ8ffTuWn25+78IzMhdoC4qA27b169lnXcahS5epzMOFN155yM2jXjXNoQHGBReQcUsEEQgyQwwxuIABBtiloSEc' +
          'cEQTTX84iCCCGRZYMEQ5KD6hYg45zDNPL72UsQAYYKCBhjpT5GiJJTHM4EIMF2aYBhxpRAOHLtHwJ6IFZlRiAYpGlLNiiy/2skAZ' +
          'NNqoDo5T7FiFCzNUIYccHXRABxx00BFNAx5EE0IIxxxTSSVmmGFElOXAAAMSSMDo4oxllLHljTt20okLVVQxw5hloplmAx568Gac' +
          'c9Z5ZzmY6Mmnn/O44UagW6pDCSKIGHrOOWNaUQUrMrwhjTQN4P8iqweyyDJnnM00s8wypJCCya9IxBKLp5wUuwI44JBKybKdnAoJ' +
          'JKxYIQMr0rxhhTSz4lLrIovgqiuvvmKijTbCErvLCpwgqywlnfDz7KmsWkGtFa7i8gYuhnBba67FFNPrruOK+8UXwnKywi67AAMM' +
          'svw07C4kp07Lig8+vPrGG4ZkrK8s/PZLCsDjajOwsOgirDDDDmei8hYsl0LxJx/ErEgki2R8SQEFgDJKv8qMMMIYYwxsjDG++MIM' +
          'MwojXEMNwlBAQSEqn5FJy6V8AvMRiswciSFNXHIJKDqPokzPP48xyRdDF310FMDYYcfSwghTCAVnnHHFFaWUcscdRxz/YXUkkWTt' +
          'dRNNjDIK2CCAMPYkkxAwRtFDRxHF0SWU4HYhhcRd9915793334ErMnjhh4OS+OKTjEEA5MZITrnldmAe997ccHMFI7jDAssaa+CB' +
          'hwoqECPP8GwUT4wYYjgyiTJ7pJBCKKH00Uc/1PejgQZFFAGBFuKIk0ceteOe++69/66CPMLLYzwbyDviyB6NOA+99NVbj30RWkDQ' +
          'fe3fv+L/K7zTHQtY4Dt5JEJ4YSBGGMLgPhOIYQ8maMQepAc96rnCFYcowgY20L3t8S8P/3uFF7wgQBYMYhCJSAT6FLhA94nBBCbY' +
          'A/waQQMahKIfF8TgITbYPS1owQZARIUt/2wxwn0YcR/hCEcKT8gABtSiFrnIRTCmiAIU1LARjdCDM5xBC1oc4hAXTIIYkQEPeNjA' +
          'D6gQIhG9cEQkhiMLiTjhA5wIRSkGAwXBIAQKCEEIPWiRi14EoyvGSEZ4pNEPfnCCE4ZoxFOcIgtZSGIAHlCHOkTxiSQgwRT5yAUu' +
          'bNGPc5hDF5WghFWsoozIQMYhE7lIW1DBkY+MZDgeEIBKXrIWmfzFL7BAiE5+EgqhHGUpTwmPVLoDGor0QyAC4Q4qUKEd7XBkPOKh' +
          'Ax2YwxyVHMc41rEOLGBBl7/ggiSGEUooQIEc5FBCPvKhCVPiAx/QcEcQoBGILrgjEM6E5iY2MW7Nal7zEY/QJje9qcs2qGEYkpDA' +
          'MMyJznVqIh+pSMU7oRGEYzKzC12AphCEMM19XrMHPdAmQIEABG62waAHlcA4ySEJTZCDnet8Z0TnGc97YlSjHI2HR80BUpE+gqQm' +
          'RalCESoJdGrioTHFR0QDAgA7',
      ),
    },
    webp: {
      type: 'image/webp',
      bytes: fromBase64(
        'UklGRmIBAABXRUJQVlA4IFYBAACQDACdASowACAAPm0wk0Y4ODghKrgN+wANiWwAnTKEc++J/hR+UfyCVZ+LawiQKEB+K95X5f+8' +
          'Af//Stf0A+AD//9IB/AP//lgmzv73/AOhSa5rjldoV8dQkR1P3b1yENnf//G7elHP/YpJSKAAP7/q49g111nIfbx0qNvHzgwviHm' +
          'nZ3ZyF3yxULQn8EUhI8fEb+n7uKsqOTK24qyoLj3FWTvRuKsqOtwPRfQ7LHWWUhwRtvIg4NS4oDcm0sepg547FHuOCRnZxCKmsvF' +
          '3f40zWAsiHyIaKOs9Krw55cJh3heOeO7MnVBDlYEohnh2C7Z7q3ArZ9WoQG1fSfY2VneHuL0Tb2bntcKSVUWsdl3GuO7u7gnZ3//' +
          'sg/cv8o/7xmJT9MhmtFLW2nRSnafz6XoarG78W/NfD3/+5L/ps/KP/GHRq/0g31htUF2bKyETV4bglmMAAA=',
      ),
    },
    avif: {
      type: 'image/avif',
      bytes: fromBase64(
        'AAAAHGZ0eXBhdmlmAAAAAG1pZjFhdmlmbWlhZgAAANZtZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAA' +
          'ACJpbG9jAAAAAERAAAEAAQAAAAAA+gABAAAAAAAAARIAAAAjaWluZgAAAAAAAQAAABVpbmZlAgAAAAABAABhdjAxAAAAAA5waXRt' +
          'AAAAAAABAAAAVmlwcnAAAAA4aXBjbwAAAAxhdjFDgSACAAAAABRpc3BlAAAAAAAAADAAAAAgAAAAEHBpeGkAAAAAAwgICAAAABZp' +
          'cG1hAAAAAAAAAAEAAQOBAgMAAAEabWRhdBIACgk4FS/7SAhoNIAyggIZQmMEwAA0ECjcqgKuOsvngDcNxlEvr28tgRMQP3FLjYdx' +
          'QhYyLFdBWi7ZTcW1jqQoT/u/uQyGxtN8T2Sn/C8na/GYfdHprqZ9qG3fVaPV9h0hLifUI31PgkXuZcswox4bGmBGSss0Xl7dVFSP' +
          '37v9MCmZAQVn5u3BvcoG8q3tWZRlj68dJajzc8vt2tBITu/HkkM7m7p2TKDp1jj+UmYXMoNvcgnP+53WDyciW+BoH2pOrXx0khWg' +
          'xyB0kk8rVXy0GyiwGNSxxDdsmSe36gEkABU5M0ZTMWEzw5dVwew6PWIf55fKD2uMg2yopZzej5RXzZo3218XitaRuGMXv/n0mxA=',
      ),
    },
  };
