export {
  MAX_RANK,
  MAX_RANK_RANGE_SPAN,
  NIL_RANK,
  RankListError,
  RankSet,
  createRankSet,
  isValidRank,
  rankSetFromRanks,
} from './ranklist.js';
