//! Code written against openvmm's `openhcl_attestation_protocol::igvm_attest::get` module, the
//! way its users (the paravisor's `igvm_attest` module, the test IGVM agent) use it: it builds
//! requests by adding `size_of` values, parses response headers, and answers as an agent. Only
//! the import differs; it must compile against the generated crate and produce the bytes the
//! protocol reference gives, which are also the bytes the generated message API builds.
//!
//! Copied into a scratch copy of the generated `igvm_attest` crate as `tests/upstream_compat.rs`
//! by tests/test_upstream_compat.py. The upstream `runtime_claims` module (serde types for the
//! JSON payload) is not part of the generated crate, so the claims here are plain bytes.

// The one line that differs from code written for openvmm:
//     use openhcl_attestation_protocol::igvm_attest::get;
use igvm_attest as get;

use std::collections::HashMap;

use get::IgvmAttestAkCertResponseHeader;
use get::IgvmAttestCommonResponseHeader;
use get::IgvmAttestHashType;
use get::IgvmAttestKeyReleaseResponseHeader;
use get::IgvmAttestReportType;
use get::IgvmAttestRequestBase;
use get::IgvmAttestRequestData;
use get::IgvmAttestRequestDataExt;
use get::IgvmAttestRequestHeader;
use get::IgvmAttestRequestType;
use get::IgvmAttestRequestVersion;
use get::IgvmAttestResponseVersion;
use get::IgvmAttestWrappedKeyResponseHeader;
use get::IgvmCapabilityBitMap;
use get::IgvmErrorInfo;
use get::IgvmSignal;
use get::IGVM_ATTEST_REQUEST_CURRENT_VERSION;
use get::IGVM_ATTEST_RESPONSE_CURRENT_VERSION;
use zerocopy::FromBytes;
use zerocopy::FromZeros;
use zerocopy::IntoBytes;

/// The report size of each report type, as a `usize` (the constants are `usize` upstream).
fn report_size(report_type: IgvmAttestReportType) -> usize {
    match report_type {
        IgvmAttestReportType::VBS_VM_REPORT => get::VBS_VM_REPORT_SIZE,
        IgvmAttestReportType::SNP_VM_REPORT => get::SNP_VM_REPORT_SIZE,
        IgvmAttestReportType::TDX_VM_REPORT => get::TDX_VM_REPORT_SIZE,
        _ => get::TVM_REPORT_SIZE,
    }
}

/// A request as the paravisor builds one: the lengths by hand, from `size_of`.
fn create_request(
    version: IgvmAttestRequestVersion,
    request_type: IgvmAttestRequestType,
    runtime_claims: &[u8],
    attestation_report: &[u8],
    report_type: IgvmAttestReportType,
    hash_type: IgvmAttestHashType,
) -> Vec<u8> {
    assert_eq!(attestation_report.len(), report_size(report_type));
    let include_extension = version >= IgvmAttestRequestVersion::VERSION_2;
    let extension_size = if include_extension { size_of::<IgvmAttestRequestDataExt>() } else { 0 };
    let report_size = size_of::<IgvmAttestRequestBase>() + extension_size + runtime_claims.len();
    let user_data_size = size_of::<IgvmAttestRequestData>() + extension_size + runtime_claims.len();

    let mut request = IgvmAttestRequestBase::new_zeroed();
    request.header = IgvmAttestRequestHeader::new(report_size as u32, request_type, 0);
    request.attestation_report[..attestation_report.len()].copy_from_slice(attestation_report);
    request.request_data = IgvmAttestRequestData::new(
        version,
        user_data_size as u32,
        report_type,
        hash_type,
        runtime_claims.len() as u32,
    );

    let mut buffer = Vec::with_capacity(report_size);
    buffer.extend_from_slice(request.as_bytes());
    if include_extension {
        let capability_bitmap = IgvmCapabilityBitMap::new()
            .with_error_code(true)
            .with_retry(true)
            .with_skip_hw_unsealing(true)
            .with_use_rsa_aes_key_wrap_384(true)
            .with_corim_endorsement(report_type == IgvmAttestReportType::TDX_VM_REPORT);
        buffer.extend_from_slice(IgvmAttestRequestDataExt::new(capability_bitmap).as_bytes());
    }
    buffer.extend_from_slice(runtime_claims);
    buffer
}

/// What the paravisor's response parser reports.
#[derive(Debug, PartialEq)]
enum ResponseError {
    TooSmall(usize),
    SizeMismatch { size: usize, specified_size: usize },
    Version { version: IgvmAttestResponseVersion, latest_version: IgvmAttestResponseVersion },
    InvalidFormat(usize),
    Attestation { igvm_error_code: u32, http_status_code: u32, retry_signal: bool, skip_hw_unsealing_signal: bool },
}

/// The common response-header checks, as the paravisor makes them.
fn parse_response_header(response: &[u8]) -> Result<IgvmAttestCommonResponseHeader, ResponseError> {
    let header = IgvmAttestCommonResponseHeader::read_from_prefix(response)
        .map_err(|_| ResponseError::TooSmall(response.len()))?
        .0;
    if header.data_size as usize > response.len() {
        return Err(ResponseError::SizeMismatch { size: response.len(), specified_size: header.data_size as usize });
    }
    if header.version > IGVM_ATTEST_RESPONSE_CURRENT_VERSION {
        return Err(ResponseError::Version { version: header.version, latest_version: IGVM_ATTEST_RESPONSE_CURRENT_VERSION });
    }
    if header.version >= IgvmAttestResponseVersion::VERSION_2 {
        let info = IgvmErrorInfo::read_from_prefix(&response[size_of::<IgvmAttestCommonResponseHeader>()..])
            .map_err(|_| ResponseError::InvalidFormat(response.len()))?
            .0;
        if 0 != info.error_code {
            return Err(ResponseError::Attestation {
                igvm_error_code: info.error_code,
                http_status_code: info.http_status_code,
                retry_signal: info.igvm_signal.retry(),
                skip_hw_unsealing_signal: info.igvm_signal.skip_hw_unsealing(),
            });
        }
    }
    Ok(IgvmAttestCommonResponseHeader { data_size: header.data_size, version: header.version })
}

/// The payload of a key-release response, as its parser finds it.
fn key_release_payload(response: &[u8]) -> Result<(&[u8], bool), ResponseError> {
    let header = parse_response_header(response)?;
    let header_size = match header.version {
        IgvmAttestResponseVersion::VERSION_1 => size_of::<IgvmAttestCommonResponseHeader>(),
        IgvmAttestResponseVersion::VERSION_2 => size_of::<IgvmAttestKeyReleaseResponseHeader>(),
        _ => return Err(ResponseError::InvalidFormat(response.len())),
    };
    let wrap_384 = if header.version == IgvmAttestResponseVersion::VERSION_2 {
        let full = IgvmAttestKeyReleaseResponseHeader::read_from_prefix(response)
            .map_err(|_| ResponseError::InvalidFormat(response.len()))?
            .0;
        full.error_info.igvm_signal.rsa_aes_key_wrap_384_used()
    } else {
        false
    };
    Ok((&response[header_size..header.data_size as usize], wrap_384))
}

/// How the test agent answers: a failure with a signal, or a success with a payload, in a
/// version 2 header (upstream's agent writes `IGVM_ATTEST_RESPONSE_CURRENT_VERSION`, 2 today).
fn agent_response(request_type: IgvmAttestRequestType, failure: Option<(u32, IgvmSignal)>, data: &[u8]) -> Vec<u8> {
    let error_info = match failure {
        Some((error_code, igvm_signal)) => IgvmErrorInfo { error_code, http_status_code: 400, igvm_signal, reserved: [0; 3] },
        None => IgvmErrorInfo { igvm_signal: IgvmSignal::default().with_rsa_aes_key_wrap_384_used(true), ..Default::default() },
    };
    let header = match request_type {
        IgvmAttestRequestType::KEY_RELEASE_REQUEST => IgvmAttestKeyReleaseResponseHeader {
            data_size: (data.len() + size_of::<IgvmAttestKeyReleaseResponseHeader>()) as u32,
            version: IgvmAttestResponseVersion::VERSION_2,
            error_info,
        }
        .as_bytes()
        .to_vec(),
        IgvmAttestRequestType::WRAPPED_KEY_REQUEST => IgvmAttestWrappedKeyResponseHeader {
            data_size: (data.len() + size_of::<IgvmAttestWrappedKeyResponseHeader>()) as u32,
            version: IgvmAttestResponseVersion::VERSION_2,
            error_info,
        }
        .as_bytes()
        .to_vec(),
        IgvmAttestRequestType::AK_CERT_REQUEST => IgvmAttestAkCertResponseHeader {
            data_size: (data.len() + size_of::<IgvmAttestAkCertResponseHeader>()) as u32,
            version: IgvmAttestResponseVersion::VERSION_2,
            error_info: IgvmErrorInfo::default(),
        }
        .as_bytes()
        .to_vec(),
        ty => panic!("unsupported request type {}", ty.0),
    };
    [header.as_slice(), data].concat()
}

/// Little-endian u32 words, for bytes packed by hand from the protocol reference.
fn words(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A request packed by hand: header, report (SNP size, zero fill), request data, extension, claims.
fn packed_request(version: u32, claims: &[u8], report: &[u8]) -> Vec<u8> {
    let ext = if version >= 2 { 4 } else { 0 };
    let mut out = words(&[0x414C4348, 2, (1236 + ext + claims.len()) as u32, 1, 0, 0, 0, 0]);
    let mut attestation_report = [0u8; get::SNP_VM_REPORT_SIZE];
    attestation_report[..report.len()].copy_from_slice(report);
    out.extend_from_slice(&attestation_report);
    out.extend(words(&[(20 + ext + claims.len()) as u32, version, 2, 1, claims.len() as u32]));
    if version >= 2 {
        out.extend(words(&[0x0F]));
    }
    out.extend_from_slice(claims);
    out
}

#[test]
fn requests_are_the_bytes_of_the_reference() {
    let claims = br#"{"keys":[],"vm-configuration":{}}"#;
    let report = [0x6c; get::SNP_VM_REPORT_SIZE];
    assert!(IGVM_ATTEST_REQUEST_CURRENT_VERSION >= IgvmAttestRequestVersion::VERSION_2);
    for (version, number) in [(IgvmAttestRequestVersion::VERSION_1, 1), (IgvmAttestRequestVersion::VERSION_2, 2)] {
        let request = create_request(
            version,
            IgvmAttestRequestType::KEY_RELEASE_REQUEST,
            claims,
            &report,
            IgvmAttestReportType::SNP_VM_REPORT,
            IgvmAttestHashType::SHA_256,
        );
        assert_eq!(request, packed_request(number, claims, &report), "{version:?}");
        assert_eq!(size_of::<IgvmAttestRequestBase>(), 1236);
        assert_eq!(size_of::<IgvmAttestRequestData>(), 20);

        // The generated message API reads it back and builds the same bytes.
        let message = get::IgvmAttestRequest::parse(&request).expect("a valid request");
        assert_eq!(message.runtime_claims, claims);
        assert_eq!(message.ext.is_some(), number == 2);
        let mut built = vec![0u8; request.len()];
        assert_eq!(message.build(&mut built), Ok(request.len()));
        assert_eq!(built, request);
    }
}

#[test]
fn the_test_agent_reads_a_request_and_answers() {
    let claims = b"{}";
    let request = create_request(
        IgvmAttestRequestVersion::VERSION_2,
        IgvmAttestRequestType::KEY_RELEASE_REQUEST,
        claims,
        &[],
        IgvmAttestReportType::TVM_REPORT,
        IgvmAttestHashType::SHA_256,
    );
    let base = IgvmAttestRequestBase::read_from_prefix(&request).expect("the base").0;
    assert!(base.request_data.version <= IGVM_ATTEST_REQUEST_CURRENT_VERSION);
    let start = size_of::<IgvmAttestRequestBase>() + size_of::<IgvmAttestRequestDataExt>();
    let end = start + base.request_data.variable_data_size as usize;
    assert_eq!(&request[start..end], claims);
    let ext = IgvmAttestRequestDataExt::read_from_prefix(&request[size_of::<IgvmAttestRequestBase>()..]).expect("the extension").0;
    assert!(ext.capability_bitmap.use_rsa_aes_key_wrap_384());
    assert_eq!(format!("{:?}", base.header.request_type), "KEY_RELEASE_REQUEST");

    let mut plan: HashMap<IgvmAttestRequestType, u32> = HashMap::new();
    plan.insert(base.header.request_type, 1);
    assert_eq!(plan[&IgvmAttestRequestType::KEY_RELEASE_REQUEST], 1);

    let jwt = b"header.body.signature";
    let response = agent_response(base.header.request_type, None, jwt);
    let mut expected = words(&[32 + jwt.len() as u32, 2, 0, 0, 0b100, 0, 0, 0]);
    expected.extend_from_slice(jwt);
    assert_eq!(response, expected);
    assert_eq!(key_release_payload(&response), Ok((&jwt[..], true)));
}

#[test]
fn failures_and_retries_reach_the_paravisor() {
    let response = agent_response(IgvmAttestRequestType::WRAPPED_KEY_REQUEST, Some((0x1234, IgvmSignal::new().with_retry(true))), &[]);
    assert_eq!(response, words(&[32, 2, 0x1234, 400, 1, 0, 0, 0]));
    assert_eq!(
        parse_response_header(&response),
        Err(ResponseError::Attestation { igvm_error_code: 0x1234, http_status_code: 400, retry_signal: true, skip_hw_unsealing_signal: false })
    );
    let message = get::IgvmAttestWrappedKeyResponse::parse(&response).expect("framing is valid");
    assert!(message.error_info.expect("version 2").igvm_signal.retry());

    let v1 = words(&[8 + 3, 1]).into_iter().chain(*b"key").collect::<Vec<u8>>();
    assert_eq!(key_release_payload(&v1), Ok((&b"key"[..], false)));

    let newer = words(&[32, 99, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        parse_response_header(&newer),
        Err(ResponseError::Version { version: IgvmAttestResponseVersion(99), latest_version: IGVM_ATTEST_RESPONSE_CURRENT_VERSION })
    );
    assert!(IGVM_ATTEST_RESPONSE_CURRENT_VERSION >= IgvmAttestResponseVersion::VERSION_2);
    assert_eq!(parse_response_header(&newer[..4]), Err(ResponseError::TooSmall(4)));
    assert_eq!(
        parse_response_header(&words(&[40, 2, 0, 0, 0, 0, 0, 0])),
        Err(ResponseError::SizeMismatch { size: 32, specified_size: 40 })
    );
    assert_eq!(parse_response_header(&words(&[8, 2])), Err(ResponseError::InvalidFormat(8)));

    const HEADER_SIZE: usize = size_of::<IgvmAttestAkCertResponseHeader>();
    let properly_sized: [u8; HEADER_SIZE] = [1; HEADER_SIZE];
    assert_eq!(properly_sized.len(), 32);
    assert_eq!(agent_response(IgvmAttestRequestType::AK_CERT_REQUEST, None, &[0xab; 3]).len(), 35);
}

#[test]
fn sizes_and_defaults_match_upstream_types() {
    let buffer_sizes: [usize; 3] = [get::WRAPPED_KEY_RESPONSE_BUFFER_SIZE, get::KEY_RELEASE_RESPONSE_BUFFER_SIZE, get::AK_CERT_RESPONSE_BUFFER_SIZE];
    assert_eq!(buffer_sizes, [65536, 65536, 4096]);
    assert_eq!([get::VBS_VM_REPORT_SIZE, get::SNP_VM_REPORT_SIZE, get::TDX_VM_REPORT_SIZE, get::TVM_REPORT_SIZE], [560, 1184, 1024, 0]);
    assert_eq!(IgvmAttestCommonResponseHeader::default().as_bytes(), &[0u8; 8]);
    assert_eq!(IgvmAttestKeyReleaseResponseHeader::default().as_bytes(), &[0u8; 32]);
    assert_eq!(IgvmAttestResponseVersion::default(), IgvmAttestResponseVersion(0));
    assert_eq!(size_of::<IgvmAttestRequestHeader>(), 32);
    assert_eq!(size_of::<IgvmErrorInfo>(), 24);
}
