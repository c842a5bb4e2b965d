#!/bin/bash

__postls_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__postls_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__postls_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__postls_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_postls() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __postls_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    wizard|version|config|probe|logs|diagnose|fix|check|dns|tlsrpt|demo|report|open|setup|help)
        # Offer subcommand argument completions
        "_postls_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'wizard version config probe logs diagnose fix check dns tlsrpt demo report open setup help' -- "${cur}"))
        ;;
    esac
}

_postls_wizard() {
    repeating_flags=()
    non_repeating_flags=(--no-probe --no-logs --no-color --version -h --help)
    repeating_options=(--log --host --tlsrpt)
    non_repeating_options=(--config-dir --port --implicit --name --smtp-port --ca-file --timeout --domain --resolver --dovecot-config)
    __postls_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--config-dir')
        return
        ;;
    '--log')
        return
        ;;
    '--host')
        return
        ;;
    '--port')
        return
        ;;
    '--implicit')
        return
        ;;
    '--name')
        return
        ;;
    '--smtp-port')
        return
        ;;
    '--ca-file')
        return
        ;;
    '--timeout')
        return
        ;;
    '--domain')
        return
        ;;
    '--resolver')
        return
        ;;
    '--tlsrpt')
        return
        ;;
    '--dovecot-config')
        return
        ;;
    esac
}

_postls_version() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=()
    __postls_offer_flags_options 0
}

_postls_config() {
    repeating_flags=()
    non_repeating_flags=(--json --all --no-color --version -h --help)
    repeating_options=()
    non_repeating_options=(--config-dir --dovecot-config)
    __postls_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--config-dir')
        return
        ;;
    '--dovecot-config')
        return
        ;;
    esac
}

_postls_probe() {
    repeating_flags=()
    non_repeating_flags=(--ipv4 --ipv6 --json --ciphers --progress --no-color --version -h --help)
    repeating_options=()
    non_repeating_options=(--port --starttls --implicit --name --ca-file --timeout --max-connections --ehlo --as --domain --resolver)
    __postls_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--port')
        return
        ;;
    '--starttls')
        return
        ;;
    '--implicit')
        return
        ;;
    '--name')
        return
        ;;
    '--ca-file')
        return
        ;;
    '--timeout')
        return
        ;;
    '--max-connections')
        return
        ;;
    '--ehlo')
        return
        ;;
    '--as')
        return
        ;;
    '--domain')
        return
        ;;
    '--resolver')
        return
        ;;
    esac
}

_postls_logs() {
    repeating_flags=()
    non_repeating_flags=(--journal --follow --include-own-probes --json --version -h --help)
    repeating_options=()
    non_repeating_options=(--since --config-dir)
    __postls_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--since')
        return
        ;;
    '--config-dir')
        return
        ;;
    esac
}

_postls_diagnose() {
    repeating_flags=()
    non_repeating_flags=(--no-probe --no-logs --json --no-color --version -h --help)
    repeating_options=(--log --host --tlsrpt)
    non_repeating_options=(--config-dir --port --implicit --name --smtp-port --ca-file --timeout --domain --resolver --dovecot-config)
    __postls_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--config-dir')
        return
        ;;
    '--log')
        return
        ;;
    '--host')
        return
        ;;
    '--port')
        return
        ;;
    '--implicit')
        return
        ;;
    '--name')
        return
        ;;
    '--smtp-port')
        return
        ;;
    '--ca-file')
        return
        ;;
    '--timeout')
        return
        ;;
    '--domain')
        return
        ;;
    '--resolver')
        return
        ;;
    '--tlsrpt')
        return
        ;;
    '--dovecot-config')
        return
        ;;
    esac
}

_postls_fix() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __postls_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|show|apply|rollback)
        # Offer subcommand argument completions
        "_postls_fix_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list show apply rollback' -- "${cur}"))
        ;;
    esac
}

_postls_fix_list() {
    repeating_flags=()
    non_repeating_flags=(--no-probe --no-logs --json --version -h --help)
    repeating_options=(--log --host --tlsrpt)
    non_repeating_options=(--config-dir --port --implicit --name --smtp-port --ca-file --timeout --domain --resolver --dovecot-config)
    __postls_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--config-dir')
        return
        ;;
    '--log')
        return
        ;;
    '--host')
        return
        ;;
    '--port')
        return
        ;;
    '--implicit')
        return
        ;;
    '--name')
        return
        ;;
    '--smtp-port')
        return
        ;;
    '--ca-file')
        return
        ;;
    '--timeout')
        return
        ;;
    '--domain')
        return
        ;;
    '--resolver')
        return
        ;;
    '--tlsrpt')
        return
        ;;
    '--dovecot-config')
        return
        ;;
    esac
}

_postls_fix_show() {
    repeating_flags=()
    non_repeating_flags=(--no-probe --no-logs --version -h --help)
    repeating_options=(--log --host --tlsrpt)
    non_repeating_options=(--config-dir --port --implicit --name --smtp-port --ca-file --timeout --domain --resolver --dovecot-config)
    __postls_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--config-dir')
        return
        ;;
    '--log')
        return
        ;;
    '--host')
        return
        ;;
    '--port')
        return
        ;;
    '--implicit')
        return
        ;;
    '--name')
        return
        ;;
    '--smtp-port')
        return
        ;;
    '--ca-file')
        return
        ;;
    '--timeout')
        return
        ;;
    '--domain')
        return
        ;;
    '--resolver')
        return
        ;;
    '--tlsrpt')
        return
        ;;
    '--dovecot-config')
        return
        ;;
    esac
}

_postls_fix_apply() {
    repeating_flags=()
    non_repeating_flags=(--yes --no-reload --no-probe --no-logs --version -h --help)
    repeating_options=(--log --host --tlsrpt)
    non_repeating_options=(--config-dir --port --implicit --name --smtp-port --ca-file --timeout --domain --resolver --dovecot-config)
    __postls_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--config-dir')
        return
        ;;
    '--log')
        return
        ;;
    '--host')
        return
        ;;
    '--port')
        return
        ;;
    '--implicit')
        return
        ;;
    '--name')
        return
        ;;
    '--smtp-port')
        return
        ;;
    '--ca-file')
        return
        ;;
    '--timeout')
        return
        ;;
    '--domain')
        return
        ;;
    '--resolver')
        return
        ;;
    '--tlsrpt')
        return
        ;;
    '--dovecot-config')
        return
        ;;
    esac
}

_postls_fix_rollback() {
    repeating_flags=()
    non_repeating_flags=(--no-reload --version -h --help)
    repeating_options=()
    non_repeating_options=(--config-dir --dovecot-config)
    __postls_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--config-dir')
        return
        ;;
    '--dovecot-config')
        return
        ;;
    esac
}

_postls_check() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=(--host --log)
    non_repeating_options=(--port --implicit --name --ca-file --warning-days --critical-days --timeout --format --output --config-dir --failures-warning --failures-critical)
    __postls_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--host')
        return
        ;;
    '--port')
        return
        ;;
    '--implicit')
        return
        ;;
    '--name')
        return
        ;;
    '--ca-file')
        return
        ;;
    '--warning-days')
        return
        ;;
    '--critical-days')
        return
        ;;
    '--timeout')
        return
        ;;
    '--format')
        __postls_add_completions -W 'nagios'$'\n''prometheus'
        return
        ;;
    '--output')
        return
        ;;
    '--config-dir')
        return
        ;;
    '--log')
        return
        ;;
    '--failures-warning')
        return
        ;;
    '--failures-critical')
        return
        ;;
    esac
}

_postls_dns() {
    repeating_flags=()
    non_repeating_flags=(--json --no-color --version -h --help)
    repeating_options=(--dkim-selector)
    non_repeating_options=(--resolver --port --ca-file --key-file --cert-file --timeout)
    __postls_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--resolver')
        return
        ;;
    '--port')
        return
        ;;
    '--ca-file')
        return
        ;;
    '--dkim-selector')
        return
        ;;
    '--key-file')
        return
        ;;
    '--cert-file')
        return
        ;;
    '--timeout')
        return
        ;;
    esac
}

_postls_tlsrpt() {
    repeating_flags=()
    non_repeating_flags=(--json --no-color --version -h --help)
    repeating_options=()
    non_repeating_options=()
    __postls_offer_flags_options -1
}

_postls_demo() {
    repeating_flags=()
    non_repeating_flags=(--print --json --no-color --version -h --help)
    repeating_options=()
    non_repeating_options=()
    __postls_offer_flags_options 0
}

_postls_report() {
    repeating_flags=()
    non_repeating_flags=(--no-probe --no-logs --redact --version -h --help)
    repeating_options=(--log --host --tlsrpt)
    non_repeating_options=(--config-dir --port --implicit --name --smtp-port --ca-file --timeout --domain --resolver --dovecot-config --format --output --bundle)
    __postls_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--config-dir')
        return
        ;;
    '--log')
        return
        ;;
    '--host')
        return
        ;;
    '--port')
        return
        ;;
    '--implicit')
        return
        ;;
    '--name')
        return
        ;;
    '--smtp-port')
        return
        ;;
    '--ca-file')
        return
        ;;
    '--timeout')
        return
        ;;
    '--domain')
        return
        ;;
    '--resolver')
        return
        ;;
    '--tlsrpt')
        return
        ;;
    '--dovecot-config')
        return
        ;;
    '--format')
        __postls_add_completions -W 'markdown'$'\n''json'
        return
        ;;
    '--output')
        return
        ;;
    '--bundle')
        return
        ;;
    esac
}

_postls_open() {
    repeating_flags=()
    non_repeating_flags=(--no-color --version -h --help)
    repeating_options=()
    non_repeating_options=()
    __postls_offer_flags_options 1
}

_postls_setup() {
    repeating_flags=()
    non_repeating_flags=(--self-signed --csr-only --yes --dry-run --no-reload --version -h --help)
    repeating_options=(--san)
    non_repeating_options=(--config-dir --hostname --key --cert --key-file --dovecot-config --ca-file --timeout)
    __postls_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--config-dir')
        return
        ;;
    '--hostname')
        return
        ;;
    '--key')
        __postls_add_completions -W 'ecdsa'$'\n''rsa3072'$'\n''rsa4096'
        return
        ;;
    '--cert')
        return
        ;;
    '--key-file')
        return
        ;;
    '--san')
        return
        ;;
    '--dovecot-config')
        return
        ;;
    '--ca-file')
        return
        ;;
    '--timeout')
        return
        ;;
    esac
}

_postls_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __postls_offer_flags_options -1
}

complete -o filenames -F _postls postls
